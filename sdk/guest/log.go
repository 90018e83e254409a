package guest

import (
	"bytes"
	"context"
	"log/slog"
)

// Log returns a logger whose records go to the service's log on the node
// (the log capability, permissions.capabilities.log): one line per record,
// in slog's text format without the time (the host stamps it). Lines longer
// than 4 KiB are truncated by the host. A module that uses it imports q1.log.
func Log() *slog.Logger { return slog.New(&logHandler{}) }

// logHandler formats each record with slog's TextHandler and sends it to the
// host with its level.
type logHandler struct {
	// ops replays WithAttrs and WithGroup, in order, onto a fresh
	// TextHandler for each record.
	ops []func(slog.Handler) slog.Handler
}

func (*logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	var buf bytes.Buffer
	var th slog.Handler = slog.NewTextHandler(&buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	for _, op := range h.ops {
		th = op(th)
	}
	if err := th.Handle(ctx, r); err != nil {
		return err
	}
	line := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return check("log", hostLog(int32(r.Level), ptr(line), uint32(len(line))))
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.with(func(th slog.Handler) slog.Handler { return th.WithAttrs(attrs) })
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	return h.with(func(th slog.Handler) slog.Handler { return th.WithGroup(name) })
}

func (h *logHandler) with(op func(slog.Handler) slog.Handler) *logHandler {
	ops := append(h.ops[:len(h.ops):len(h.ops)], op)
	return &logHandler{ops: ops}
}
