package canon

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// RFC 4648 §10 test vectors.
var rfc4648 = map[string]string{
	"":       "",
	"f":      "Zg==",
	"fo":     "Zm8=",
	"foo":    "Zm9v",
	"foob":   "Zm9vYg==",
	"fooba":  "Zm9vYmE=",
	"foobar": "Zm9vYmFy",
}

func TestB64KnownAnswers(t *testing.T) {
	for in, want := range rfc4648 {
		if got := EncodeB64([]byte(in)); got != want {
			t.Errorf("EncodeB64(%q) = %q, want %q", in, got, want)
		}
		if got := AppendB64([]byte("x"), []byte(in)); string(got) != "x"+want {
			t.Errorf("AppendB64(x, %q) = %q, want %q", in, got, "x"+want)
		}
		b, ok := DecodeB64(want)
		if !ok || string(b) != in {
			t.Errorf("DecodeB64(%q) = %q, %v; want %q", want, b, ok, in)
		}
	}
	if b, ok := DecodeB64(""); !ok || b == nil || len(b) != 0 {
		t.Errorf("DecodeB64(\"\") = %#v, %v; want an empty slice, true", b, ok)
	}
}

func TestDecodeB64Strict(t *testing.T) {
	bad := []string{
		"Zg", "Zg=", "Zg===", "Zh==", // missing padding, extra padding, non-zero trailing bits
		"Zm8", "Zm9=", "Zm8==", // same for two bytes
		"Zm9v\n", "Zm9v\r", "Zm\r\n9v", "\nZm9v", "Zm9 v", " Zm9v", "Zm9v ", // CR, LF, spaces
		"Zm9v\t", "Zm9-", "Zm9_", "Zm9v====", "=Zm9", "Z=m9", "Zg==Zg==", "Zm9vYg==\n",
		"é===",
	}
	for _, s := range bad {
		if b, ok := DecodeB64(s); ok || b != nil {
			t.Errorf("DecodeB64(%q) = %q, %v; want nil, false", s, b, ok)
		}
	}
}

func TestDecodeFixed(t *testing.T) {
	var h [32]byte
	for i := range h {
		h[i] = byte(i * 7)
	}
	s := EncodeB64(h[:])
	if len(s) != 44 {
		t.Fatalf("b64 of 32 bytes has %d characters", len(s))
	}
	if got, ok := Decode32(s); !ok || got != h {
		t.Errorf("Decode32(%q) = %x, %v", s, got, ok)
	}
	var sig [64]byte
	for i := range sig {
		sig[i] = byte(255 - i*3)
	}
	s64 := EncodeB64(sig[:])
	if got, ok := Decode64(s64); !ok || got != sig {
		t.Errorf("Decode64(%q) = %x, %v", s64, got, ok)
	}
	// Known answer: the manifest hash of docs/record.md §12.4.
	mh := "UwmigDyicp5UyYPquFUzYSBkW1TvNgaREtmDmt7K5NY="
	got, ok := Decode32(mh)
	if !ok || got[0] != 0x53 || got[31] != 0xd6 || EncodeB64(got[:]) != mh {
		t.Errorf("Decode32(%q) = %x, %v", mh, got, ok)
	}

	bad32 := []string{
		"", s[:43], s + "=", EncodeB64(h[:31]), EncodeB64(make([]byte, 33)),
		s[:42] + "Z=", // non-zero trailing bits: 'Z' (25) has its low bit set
		s[:43] + "\n", "\n" + s[:43], s[:20] + "\r\n" + s[22:], s[:43] + " ",
		strings.Repeat("=", 44), s[:40] + "====",
	}
	for _, b := range bad32 {
		if got, ok := Decode32(b); ok || got != ([32]byte{}) {
			t.Errorf("Decode32(%q) = %x, %v; want zero, false", b, got, ok)
		}
	}
	bad64 := []string{
		"", s64[:87], s64 + "=", EncodeB64(sig[:63]), EncodeB64(make([]byte, 65)), s,
		s64[:85] + "B==", s64[:87] + "\n", s64[:40] + "\n" + s64[41:],
	}
	for _, b := range bad64 {
		if got, ok := Decode64(b); ok || got != ([64]byte{}) {
			t.Errorf("Decode64(%q) = %x, %v; want zero, false", b, got, ok)
		}
	}
}

// FuzzDecodeB64 checks the round trip (an accepted string is the one b64
// form of its bytes), agreement with encoding/base64 on what it accepts,
// and that Decode32 and Decode64 are DecodeB64 restricted to 32 and 64
// bytes.
func FuzzDecodeB64(f *testing.F) {
	for _, s := range rfc4648 {
		f.Add(s)
	}
	for _, s := range []string{"Zh==", "Zm9v\n", "Zm\r\n9v", "Zg", "UwmigDyicp5UyYPquFUzYSBkW1TvNgaREtmDmt7K5NY=",
		"UwmigDyicp5UyYPquFUzYSBkW1TvNgaREtmDmt7K5NZ=", "UwmigDyicp5UyYPquFUzYSBkW1TvNgaREtmDmt7K5N\nY=",
		EncodeB64(make([]byte, 64)), EncodeB64(make([]byte, 64))[:86] + "B="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, ok := DecodeB64(s)
		if ok {
			if got := EncodeB64(b); got != s {
				t.Fatalf("EncodeB64(DecodeB64(%q)) = %q", s, got)
			}
			if std, err := base64.StdEncoding.DecodeString(s); err != nil || !bytes.Equal(std, b) {
				t.Fatalf("DecodeB64(%q) = %x, base64.StdEncoding gives %x, %v", s, b, std, err)
			}
		} else if b != nil {
			t.Fatalf("DecodeB64(%q) = %x, false", s, b)
		}
		for _, scratch := range [][]byte{nil, make([]byte, 0, 2*len(s)+4)} {
			if bb, okb := DecodeB64Bytes([]byte(s), scratch); okb != ok || !bytes.Equal(bb, b) {
				t.Fatalf("DecodeB64Bytes(%q) = %x, %v; DecodeB64 gives %x, %v", s, bb, okb, b, ok)
			}
		}
		if ok {
			for _, c := range []byte(s) {
				if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
					t.Fatalf("DecodeB64 accepted %q, with %q outside the alphabet", s, c)
				}
			}
		}
		h, ok32 := Decode32(s)
		if want := ok && len(b) == 32; ok32 != want || ok32 && !bytes.Equal(h[:], b) {
			t.Fatalf("Decode32(%q) = %x, %v; DecodeB64 gives %x, %v", s, h, ok32, b, ok)
		}
		if hb, okb := Decode32Bytes([]byte(s)); okb != ok32 || hb != h {
			t.Fatalf("Decode32Bytes(%q) = %x, %v; Decode32 gives %x, %v", s, hb, okb, h, ok32)
		}
		if !ok32 && h != ([32]byte{}) {
			t.Fatalf("Decode32(%q) = %x, false", s, h)
		}
		g, ok64 := Decode64(s)
		if want := ok && len(b) == 64; ok64 != want || ok64 && !bytes.Equal(g[:], b) {
			t.Fatalf("Decode64(%q) = %x, %v; DecodeB64 gives %x, %v", s, g, ok64, b, ok)
		}
		if !ok64 && g != ([64]byte{}) {
			t.Fatalf("Decode64(%q) = %x, false", s, g)
		}
	})
}

// FuzzEncodeB64 checks that every byte string round-trips.
func FuzzEncodeB64(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("foobar"))
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := EncodeB64(b)
		got, ok := DecodeB64(s)
		if !ok || !bytes.Equal(got, b) {
			t.Fatalf("DecodeB64(EncodeB64(%x)) = %x, %v", b, got, ok)
		}
		if len(s) != (len(b)+2)/3*4 {
			t.Fatalf("EncodeB64 of %d bytes has %d characters", len(b), len(s))
		}
	})
}
