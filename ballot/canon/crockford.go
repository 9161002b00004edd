package canon

// CrockfordAlphabet is the Crockford base32 alphabet (docs/record.md §1):
// the digit with value v is CrockfordAlphabet[v].
const CrockfordAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Crockford writes b as Crockford base32 digits (docs/record.md §3,
// "Crockford encoding of bytes"): the bits of b most significant first, 5
// bits per digit, zero bits appended to fill the last digit. The result has
// ⌈8·len(b)/5⌉ upper-case digits and no hyphens: 16 for a manifest
// fingerprint (10 bytes), 8 for a tracker (5 bytes), 26 for the data digits
// of a voting code (16 bytes).
func Crockford(b []byte) string {
	n := (len(b)*8 + 4) / 5
	out := make([]byte, n)
	for i := range n {
		v := 0
		for j := range 5 {
			bit := i*5 + j
			v <<= 1
			if bit/8 < len(b) && b[bit/8]&(0x80>>(bit%8)) != 0 {
				v |= 1
			}
		}
		out[i] = CrockfordAlphabet[v]
	}
	return string(out)
}

// CrockfordValue returns the value (0 to 31) of an upper-case Crockford
// digit (docs/record.md §1), or -1 for any other byte, including lower-case
// letters and the letters I, L, O and U that the alphabet leaves out.
func CrockfordValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'Z':
		for i := 10; i < 32; i++ {
			if CrockfordAlphabet[i] == c {
				return i
			}
		}
	}
	return -1
}

// ValidFingerprint reports whether s is a manifest fingerprint in its
// compact form (docs/record.md §3, §10.2): exactly 16 upper-case Crockford
// digits, no hyphens, as written in anchors.txt.
func ValidFingerprint(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if CrockfordValue(s[i]) < 0 {
			return false
		}
	}
	return true
}

// Group returns s with a hyphen after every fourth byte, except at the end
// (docs/record.md §3): the printed form of codes (XXXX-…-XXX), trackers
// (XXXX-XXXX) and fingerprints (XXXX-XXXX-XXXX-XXXX).
func Group(s string) string {
	out := make([]byte, 0, len(s)+len(s)/4)
	for i := 0; i < len(s); i++ {
		if i > 0 && i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, s[i])
	}
	return string(out)
}
