package doctor

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
)

// logLine is the part of a service's JSON log line the checks read.
type logLine struct {
	Level   string `json:"level"`
	Msg     string `json:"msg"`
	TraceID string `json:"trace_id"`
	SpanID  string `json:"span_id"`
	Channel string `json:"channel"`
	Error   string `json:"error"`
}

// logPath is a service's log file ("*" for all of them).
func (d *Doctor) logPath(service string) string {
	return filepath.Join(d.cfg.LogDir, service+".log")
}

// logSizes records how long every service's log file is, so that later
// reads start where the probe's lines can begin.
func (d *Doctor) logSizes() map[string]int64 {
	out := map[string]int64{}
	for _, s := range probeServices() {
		if fi, err := os.Stat(d.logPath(s)); err == nil {
			out[s] = fi.Size()
		}
	}
	return out
}

// traceLines returns service's log lines with traceID, reading from
// offset (from the start when the file is shorter: it was replaced).
func (d *Doctor) traceLines(service, traceID string, offset int64) ([]logLine, error) {
	f, err := os.Open(d.logPath(service))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() >= offset {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			return nil, err
		}
	}
	var out []logLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var l logLine
		// A line that is not JSON (or half written) is not the probe's.
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.TraceID == traceID {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}
