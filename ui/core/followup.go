package core

import (
	"time"
	"unicode/utf8"
)

// FollowUp is the private side of a [Proposal]: who sent it (optional,
// for the council only), the hash of the private link the proposer follows
// it with, and the messages between the proposer and the coordinator. It
// is never on a public page, in an export or in a log.
type FollowUp struct {
	Round    string    `json:"round"`
	Proposal int64     `json:"proposal"`
	Name     string    `json:"name,omitempty"`
	Contact  string    `json:"contact,omitempty"` // e-mail or phone, as the proposer wrote it
	Token    string    `json:"token"`             // b64 SHA-256 of the follow-up link's secret
	Messages []Message `json:"messages,omitempty"`
}

// Message is one message about a proposal between the proposer and the
// council.
type Message struct {
	From    string    `json:"from"`              // MessageFromCouncil or MessageFromProposer
	Account string    `json:"account,omitempty"` // the coordinator's account, for the council's own pages
	Text    string    `json:"text"`
	Time    time.Time `json:"time"`
}

// Senders of a [Message].
const (
	MessageFromCouncil  = "council"
	MessageFromProposer = "proposer"
)

// Limits of co-creation.
const (
	MaxMessage        = 2000 // bytes of one message
	MaxMessages       = 50   // messages about one proposal
	MaxContact        = 200  // bytes of a name or a contact
	MaxFollowUpSecret = 64   // characters of a follow-up secret
)

// Errors of co-creation and corrections.
var (
	// ErrFollowUp: the follow-up link is not this proposal's (a wrong or
	// mistyped secret), answered as not found so that it tells nothing.
	ErrFollowUp = &Error{Kind: NotFound, Reason: "follow_up", Msg: "no proposal matches this link"}
	// ErrTooManyMessages: the proposal's conversation is full.
	ErrTooManyMessages = &Error{Kind: Conflict, Reason: "too_many_messages", Msg: "this proposal has as many messages as it can take"}
	// ErrMergedInto: other proposals were merged into the project this
	// proposal became; decide them first.
	ErrMergedInto = &Error{Kind: Conflict, Reason: "merged_into", Msg: "other proposals are merged into this proposal's project: decide them again first"}
	// ErrAccountDisabled: the account was disabled by an administrator.
	ErrAccountDisabled = &Error{Kind: Forbidden, Reason: "account_disabled", Msg: "this account is disabled"}
	// ErrDisableSelf: an administrator cannot disable their own account.
	ErrDisableSelf = &Error{Kind: Conflict, Reason: "disable_self", Msg: "you cannot disable your own account"}
)

// CheckMessage validates a message's text: 1 to [MaxMessage] bytes of
// UTF-8 after trimming.
func CheckMessage(text string) error {
	if text == "" || len(text) > MaxMessage || !utf8.ValidString(text) {
		return Invalidf("a message must be 1 to %d bytes of text", MaxMessage)
	}
	return nil
}

// CheckContact validates a proposer's optional name and contact.
func CheckContact(name, contact string) error {
	for _, s := range []string{name, contact} {
		if len(s) > MaxContact || !utf8.ValidString(s) {
			return Invalidf("a name or contact must be at most %d bytes of text", MaxContact)
		}
		for _, r := range s {
			if r < ' ' || r == 0x7f {
				return Invalidf("a name or contact must be one line of text")
			}
		}
	}
	return nil
}
