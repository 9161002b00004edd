package service

import "sync"

// Event announces a new signed checkpoint of a round's log.
type Event struct {
	Round      string
	Size       int64
	Checkpoint []byte // the signed checkpoint note
}

// Hub broadcasts checkpoint events to subscribers (the projector's
// server-sent events, watchers). A slow subscriber misses events rather
// than slowing the log: it can always fetch the latest checkpoint.
type Hub struct {
	mu     sync.Mutex
	subs   map[*subscription]struct{}
	closed bool
}

type subscription struct {
	round string
	ch    chan Event
}

func newHub() *Hub { return &Hub{subs: make(map[*subscription]struct{})} }

// Subscribe returns a channel of the checkpoint events of round (all
// rounds when round is "") and a function that ends the subscription. The
// channel is closed when the subscription ends or the app shuts down.
func (s *Service) Subscribe(round string) (<-chan Event, func()) { return s.hub.subscribe(round) }

func (h *Hub) subscribe(round string) (<-chan Event, func()) {
	s := &subscription{round: round, ch: make(chan Event, 16)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	h.subs[s] = struct{}{}
	return s.ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[s]; ok {
			delete(h.subs, s)
			close(s.ch)
		}
	}
}

func (h *Hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.round != "" && s.round != ev.Round {
			continue
		}
		select {
		case s.ch <- ev:
		default: // full: the subscriber misses this one
		}
	}
}

func (h *Hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		close(s.ch)
		delete(h.subs, s)
	}
}
