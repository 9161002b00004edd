package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/store"
)

// Appending a batch of leaves to a round's log in one transaction, as the
// server's sequencer does, and reading the tree hash back.
func Example() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	s, err := store.Open(filepath.Join(dir, "pb.db"))
	if err != nil {
		panic(err)
	}
	defer s.Close()
	ctx := context.Background()
	err = s.Update(ctx, func(tx *store.Tx) error {
		_, err := ledger.NewLog(tx.Log("barrit-2026")).Append([][]byte{[]byte("leaf 0\n"), []byte("leaf 1\n"), []byte("leaf 2\n")})
		return err
	})
	if err != nil {
		panic(err)
	}
	err = s.View(ctx, func(tx *store.Tx) error {
		l := tx.Log("barrit-2026")
		n, err := l.Size()
		if err != nil {
			return err
		}
		root, err := l.TreeHash(n)
		fmt.Println(n, root)
		return err
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// 3 JepaVodcJudzoFDJKz3j7gpniTYyoHSH7LmckNqeQpk=
}
