package testkit

import (
	"bytes"
	"sync"
)

// SyncBuffer is a bytes.Buffer safe to read while other goroutines (a
// service's loggers, a command, a subprocess's output) write it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
