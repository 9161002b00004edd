package core

// ErrKeyStatusSig refuses a request for a key's state without the key's
// signature (the voting page signs it with the key from the code).
var ErrKeyStatusSig = &Error{Kind: Invalid, Reason: "key_status_sig", Msg: "a key's state is given only with the key's signature"}
