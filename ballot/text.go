package ballot

import "github.com/hedensted-pb/pb/ballot/canon"

// ValidID reports whether s is an identifier (docs/record.md §1): 1 to 64
// bytes of lower-case ASCII letters, digits and hyphens, not starting or
// ending with a hyphen. It is [canon.ValidID].
func ValidID(s string) bool { return canon.ValidID(s) }

// ValidText reports whether s is a Text (docs/record.md §1): 1 to 200 bytes
// of valid UTF-8 with no control characters (U+0000 to U+001F, U+007F to
// U+009F), not starting or ending with a space and with no two consecutive
// spaces. It is [canon.ValidText].
func ValidText(s string) bool { return canon.ValidText(s) }
