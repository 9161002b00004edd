package service

import (
	"crypto/rand"
	"regexp"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	phc, err := HashPassword("correct horse", testArgon2, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("PHC string %q", phc)
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct horsE": false, "": false} {
		if ok, err := CheckPassword(phc, pw); err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v, want %v", pw, ok, err, want)
		}
	}
	other, _ := HashPassword("correct horse", testArgon2, rand.Reader)
	if other == phc {
		t.Errorf("two hashes of one password are equal (no salt?)")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=64,t=0,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=18$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$argon2id$v=19$m=64,t=1,p=1$!!$AAAA"} {
		if _, err := CheckPassword(bad, "x"); err == nil {
			t.Errorf("CheckPassword(%q) accepted a malformed hash", bad)
		}
	}
}

// FuzzCheckPassword checks that any stored hash string is handled without
// a panic.
func FuzzCheckPassword(f *testing.F) {
	phc, _ := HashPassword("seed password", testArgon2, rand.Reader)
	f.Add(phc, "seed password")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "x")
	f.Add("$argon2id$v=19$m=999999999,t=1,p=1$AA$AA", "x")
	costly := regexp.MustCompile(`m=0*[0-9]{5,}|t=0*[0-9]{2,}|t=0*[4-9]`)
	f.Fuzz(func(t *testing.T, phc, password string) {
		if costly.MatchString(phc) {
			return // valid but slow parameters: not what this target looks for
		}
		CheckPassword(phc, password)
	})
}
