package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ui/core"
	"golang.org/x/crypto/argon2"
)

// Argon2Params is the cost of argon2id password hashing.
type Argon2Params struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// DefaultArgon2 is RFC 9106's second recommended option, as quoted by
// golang.org/x/crypto/argon2: t=3, 64 MiB, 4 lanes.
var DefaultArgon2 = Argon2Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

const minPasswordLen = 10

// HashPassword hashes a password with argon2id and a random 16-byte salt
// read from rand, returning a PHC string:
// $argon2id$v=19$m=<KiB>,t=<time>,p=<threads>$<salt>$<hash> (unpadded b64).
func HashPassword(password string, p Argon2Params, rand io.Reader) (string, error) {
	salt := make([]byte, 16)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("ui: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a PHC string made by
// [HashPassword] (with whatever parameters it records). It compares in
// constant time. A malformed hash is an error.
func CheckPassword(phc, password string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errors.New("ui: malformed password hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("ui: unsupported argon2 version")
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil ||
		p.Time < 1 || p.Time > 16 || p.Threads < 1 || p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > 1<<20 {
		return false, errors.New("ui: malformed argon2 parameters")
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) < 16 || len(want) > 64 {
		return false, errors.New("ui: malformed password hash")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// hashPassword hashes under the app's semaphore: argon2 uses a lot of
// memory, so few run at once. Callers are signed in (or start-up), so it
// uses the lane of known devices.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	release, err := s.acquireArgonLane(ctx, true)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(password, s.cfg.Argon2, s.rand)
}

func (s *Service) checkPassword(ctx context.Context, known bool, phc, password string) (bool, error) {
	release, err := s.acquireArgonLane(ctx, known)
	if err != nil {
		return false, err
	}
	defer release()
	return CheckPassword(phc, password)
}

func (s *Service) acquireArgon(ctx context.Context) error {
	select {
	case s.argonSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return core.Errorf(core.Unavailable, "server busy, try again")
	}
}

// sessionID is the key a session is stored under: the SHA-256 of its
// token, so the database holds no usable cookie.
func sessionID(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// Login checks a name and password and opens a session, as [Service.SignIn]
// without a device token.
func (s *Service) Login(ctx context.Context, name, password string) (string, core.Session, *core.Identity, error) {
	res, err := s.SignIn(ctx, Credentials{Name: name, Password: password})
	return res.Token, res.Session, res.Identity, err
}

// Credentials are a sign-in attempt: the account's name and password and
// the device token the client got at an earlier sign-in, if any.
type Credentials struct {
	Name, Password string
	Device         string
}

// SignedIn is a successful sign-in: the session token (the cookie value),
// the session, the account, and the device token to keep on the client.
type SignedIn struct {
	Token    string
	Session  core.Session
	Identity *core.Identity
	Device   string
}

// SignIn checks a name and password and opens a session. Wrong
// credentials give a 401 *core.Error that does not say which part was
// wrong; an account locked by failed sign-ins gives [core.ErrLoginLocked]
// (429, with RetryAfter) before any hashing, unless the request carries a
// device token of that account; a full hashing queue gives
// [core.ErrLoginBusy] (503). Every failed check of an existing account is
// in the action log (the name, never the password or the client).
func (s *Service) SignIn(ctx context.Context, cr Credentials) (SignedIn, error) {
	name := cr.Name
	known := cr.Device != "" && s.KnownDevice(ctx, cr.Device) == name
	if !known {
		if wait := s.logins.locked(name, s.now()); wait > 0 {
			e := *core.ErrLoginLocked
			e.RetryAfter = wait
			return SignedIn{}, &e
		}
	}
	var acct core.Account
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		acct, err = tx.Account(name)
		return err
	})
	if err != nil && !errors.Is(err, core.ErrMissing) {
		return SignedIn{}, err
	}
	phc := acct.PasswordHash
	if phc == "" {
		// Spend the same time on unknown names.
		phc = s.dummyHash()
	}
	ok, herr := s.checkPassword(ctx, known, phc, cr.Password)
	if herr != nil {
		var e *core.Error
		if errors.As(herr, &e) {
			return SignedIn{}, e
		}
		return SignedIn{}, fmt.Errorf("ui: account %s: %w", name, herr)
	}
	if err != nil || !ok {
		lock := s.logins.fail(name, s.now())
		if acct.Name != "" {
			detail := ""
			if lock > 0 {
				detail = fmt.Sprintf("locked for %s", lock)
			}
			// Unknown names are not logged: they may be a password typed
			// in the wrong field.
			if aerr := s.store.Write(ctx, func(tx core.Tx) error {
				return s.audit(tx, "anonymous", "login failed", acct.Name, detail)
			}); aerr != nil {
				s.log.Warn("action log: failed sign-in not recorded", "err", aerr)
			}
		}
		return SignedIn{}, core.Errorf(core.Unauthorized, "wrong name or password")
	}
	if !acct.Disabled.IsZero() {
		// Said only to someone who knows the password.
		return SignedIn{}, core.ErrAccountDisabled
	}
	if !known {
		// A known device's success leaves the lock others' guesses set.
		s.logins.reset(name)
	}
	tokenBytes := make([]byte, 32)
	csrf := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, tokenBytes); err != nil {
		return SignedIn{}, err
	}
	if _, err := io.ReadFull(s.rand, csrf); err != nil {
		return SignedIn{}, err
	}
	device := cr.Device
	if !known {
		if device, err = s.newDeviceToken(ctx, acct); err != nil {
			return SignedIn{}, err
		}
	}
	token := base64.RawURLEncoding.EncodeToString(tokenBytes)
	now := s.now().UTC()
	sess := core.Session{Account: acct.Name, CSRF: base64.RawURLEncoding.EncodeToString(csrf),
		Created: now, Expires: now.Add(s.cfg.SessionTTL)}
	err = s.store.Write(ctx, func(tx core.Tx) error {
		if _, err := tx.DeleteExpiredSessions(now); err != nil {
			return err
		}
		if err := tx.PutSession(sessionID(token), sess); err != nil {
			return err
		}
		return s.audit(tx, acct.Name, "login", "", "")
	})
	if err != nil {
		return SignedIn{}, err
	}
	return SignedIn{Token: token, Session: sess, Device: device,
		Identity: &core.Identity{Name: acct.Name, Role: acct.Role, Community: acct.Community}}, nil
}

// dummyHash returns a hash with the app's parameters that matches no
// password, for constant-time handling of unknown accounts.
func (s *Service) dummyHash() string {
	p := s.cfg.Argon2
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads)
}

// audit appends an entry to the action log inside tx. It never records
// codes, keys or choices: callers pass identifiers and short descriptions.
func (s *Service) audit(tx core.Tx, account, action, target, detail string) error {
	_, err := tx.AppendAudit(core.AuditEntry{Time: s.clock(), Account: account, Action: action, Target: target, Detail: detail})
	return err
}

// AccountRequest creates an account.
type AccountRequest struct {
	Name      string `json:"name" form:"name"`
	Password  string `json:"password" form:"password"`
	Role      string `json:"role" form:"role"`
	Community string `json:"community,omitempty" form:"community"`
}

// CreateAccount creates an administrator or coordinator account
// (administrators only, or anyone when actor is nil: start-up).
func (s *Service) CreateAccount(ctx context.Context, actor *core.Identity, req AccountRequest) (core.Identity, error) {
	if actor != nil && !actor.IsAdmin() {
		return core.Identity{}, core.Forbiddenf("only a municipality administrator may create accounts")
	}
	if !ballot.ValidID(req.Name) {
		return core.Identity{}, core.Invalidf("account name %q must be lower-case letters, digits and hyphens", req.Name)
	}
	if len(req.Password) < minPasswordLen || len(req.Password) > 1024 {
		return core.Identity{}, core.Invalidf("password must be %d to 1024 characters", minPasswordLen)
	}
	switch {
	case req.Role == core.RoleAdmin && req.Community == "":
	case req.Role == core.RoleCoordinator && req.Community != "":
	default:
		return core.Identity{}, core.Invalidf("role must be %q (no community) or %q (with a community)", core.RoleAdmin, core.RoleCoordinator)
	}
	hash, err := s.hashPassword(ctx, req.Password)
	if err != nil {
		return core.Identity{}, err
	}
	acct := core.Account{Name: req.Name, Role: req.Role, Community: req.Community, PasswordHash: hash, Created: s.clock()}
	by := "start-up"
	if actor != nil {
		by = actor.Name
	}
	err = s.store.Write(ctx, func(tx core.Tx) error {
		if acct.Community != "" {
			if _, err := tx.Community(acct.Community); err != nil {
				if errors.Is(err, core.ErrMissing) {
					return core.Invalidf("community %q does not exist", acct.Community)
				}
				return err
			}
		}
		if err := tx.CreateAccount(acct); err != nil {
			if errors.Is(err, core.ErrExists) {
				return core.Conflictf("account %s already exists", acct.Name)
			}
			return err
		}
		return s.audit(tx, by, "create account", acct.Name, acct.Role+" "+acct.Community)
	})
	return core.Identity{Name: acct.Name, Role: acct.Role, Community: acct.Community}, err
}

// EnsureAdmin creates the administrator account name with password unless
// an account of that name exists. It reports whether it created it.
func (s *Service) EnsureAdmin(ctx context.Context, name, password string) (bool, error) {
	var exists bool
	err := s.store.Read(ctx, func(tx core.Tx) error {
		_, err := tx.Account(name)
		exists = err == nil
		if errors.Is(err, core.ErrMissing) {
			return nil
		}
		return err
	})
	if err != nil || exists {
		return false, err
	}
	_, err = s.CreateAccount(ctx, nil, AccountRequest{Name: name, Password: password, Role: core.RoleAdmin})
	return err == nil, err
}

// SetPassword changes an account's password: administrators for anyone,
// others for themselves. Every session of the account ends, except the
// one whose token is keep (the actor's own, when it changes its own
// password; "" keeps none).
func (s *Service) SetPassword(ctx context.Context, actor *core.Identity, name, password, keep string) error {
	if !actor.IsAdmin() && actor.Name != name {
		return core.Forbiddenf("you may only change your own password")
	}
	if len(password) < minPasswordLen || len(password) > 1024 {
		return core.Invalidf("password must be %d to 1024 characters", minPasswordLen)
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx core.Tx) error {
		acct, err := tx.Account(name)
		if err != nil {
			if errors.Is(err, core.ErrMissing) {
				return core.NotFoundf("no account %s", name)
			}
			return err
		}
		acct.PasswordHash = hash
		if err := tx.PutAccount(acct); err != nil {
			return err
		}
		var keepID [32]byte
		if keep != "" {
			keepID = sessionID(keep)
		}
		n, err := tx.DeleteSessionsOf(acct.Name, keepID)
		if err != nil {
			return err
		}
		s.logins.reset(acct.Name)
		return s.audit(tx, actor.Name, "set password", name, fmt.Sprintf("%d other sessions ended", n))
	})
}

// Accounts returns every account (without password hashes) in name order.
func (s *Service) Accounts(ctx context.Context) ([]core.Identity, error) {
	var out []core.Identity
	err := s.store.Read(ctx, func(tx core.Tx) error {
		accts, err := tx.Accounts()
		for _, ac := range accts {
			out = append(out, core.Identity{Name: ac.Name, Role: ac.Role, Community: ac.Community})
		}
		return err
	})
	return out, err
}

// Audit returns the newest limit entries of the action log, newest first.
func (s *Service) Audit(ctx context.Context, limit int) ([]core.AuditEntry, error) {
	var out []core.AuditEntry
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		out, err = tx.Audit(limit)
		return err
	})
	return out, err
}

// AuditBackup records in the action log that actor takes a backup.
func (s *Service) AuditBackup(ctx context.Context, actor *core.Identity) error {
	return s.store.Write(ctx, func(tx core.Tx) error {
		return s.audit(tx, core.ActorName(actor), "backup", "", "")
	})
}

// Backup writes a consistent copy of the database to w from one read
// transaction, while the server keeps running.
func (s *Service) Backup(ctx context.Context, w io.Writer) (int64, error) {
	return s.store.Backup(ctx, w)
}

// Session returns the live session of a token and its account; a missing,
// expired or orphaned session is (nil, nil, nil).
func (s *Service) Session(ctx context.Context, token string) (*core.Session, *core.Identity, error) {
	var sess core.Session
	var acct core.Account
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		if sess, err = tx.Session(sessionID(token)); err != nil {
			return err
		}
		acct, err = tx.Account(sess.Account)
		return err
	})
	if errors.Is(err, core.ErrMissing) || err == nil && (!s.now().Before(sess.Expires) || !acct.Disabled.IsZero()) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &sess, &core.Identity{Name: acct.Name, Role: acct.Role, Community: acct.Community}, nil
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, actor *core.Identity, token string) error {
	return s.store.Write(ctx, func(tx core.Tx) error {
		if err := tx.DeleteSession(sessionID(token)); err != nil {
			return err
		}
		return s.audit(tx, core.ActorName(actor), "logout", "", "")
	})
}

// AccountList returns every account in name order (with password hashes:
// for administrators' pages only, never for the JSON API).
func (s *Service) AccountList(ctx context.Context) ([]core.Account, error) {
	var out []core.Account
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		out, err = tx.Accounts()
		return err
	})
	return out, err
}
