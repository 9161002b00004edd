package service

import (
	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
)

// appendSigned is the one way the server extends a round's log: inside
// the caller's write transaction it appends leaves to l (none: the log
// stays as it is), signs a checkpoint of the new head with signers (the
// log key first; the council co-signs the final checkpoint) and stores it.
// So every committed append is covered by a stored checkpoint of the same
// transaction. It returns the index of the first leaf appended, the head
// and the signed checkpoint note.
func appendSigned(l core.Log, origin string, leaves [][]byte, signers ...note.Signer) (start int64, head ledger.Checkpoint, cp []byte, err error) {
	lg := ledger.NewLog(l)
	if len(leaves) > 0 {
		if start, err = lg.Append(leaves); err != nil {
			return 0, head, nil, err
		}
	} else if start, err = lg.Size(); err != nil {
		return 0, head, nil, err
	}
	if head, err = lg.Head(origin); err != nil {
		return 0, head, nil, err
	}
	if cp, err = ledger.SignCheckpoint(head, signers...); err != nil {
		return 0, head, nil, err
	}
	if err = l.PutCheckpoint(head.Size, cp); err != nil {
		return 0, head, nil, err
	}
	return start, head, cp, nil
}
