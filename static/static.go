// Package static embeds the browser assets: the stylesheet, the ES modules
// that derive keys, sign ballots and check receipts and proofs, and the
// vendored @noble/ed25519 fallback. The server serves FS as is; nothing is
// built or bundled.
package static

import "embed"

// FS holds css/, js/ and vendor/ at its root, e.g. "js/vote.js".
//
//go:embed css js vendor
var FS embed.FS
