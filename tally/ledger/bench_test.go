package ledger

import (
	"fmt"
	"testing"
)

func BenchmarkVerify1000(b *testing.B) {
	d, err := BuildDemo(DemoOptions{Seed: 1, Ballots: 1000})
	if err != nil {
		b.Fatal(err)
	}
	opts := VerifyOptions{Anchors: d.Anchors}
	for b.Loop() {
		if rep := Verify(d.Record, opts); !rep.OK() {
			b.Fatal(rep.FirstFailure())
		}
	}
}

func BenchmarkLogAppend10000(b *testing.B) {
	leaves := make([][]byte, 10000)
	for i := range leaves {
		leaves[i] = []byte(fmt.Sprintf("leaf %d\n", i))
	}
	for b.Loop() {
		l := NewLog(&MemStorage{})
		for i := 0; i < len(leaves); i += 50 {
			if _, err := l.Append(leaves[i : i+50]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkBuildDemo1000(b *testing.B) {
	for b.Loop() {
		if _, err := BuildDemo(DemoOptions{Seed: 1, Ballots: 1000}); err != nil {
			b.Fatal(err)
		}
	}
}
