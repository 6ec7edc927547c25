package format_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/countersign/countersign/format"
	"github.com/klauspost/compress/zstd"
)

var streamEnc, _ = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(format.MaxWindow),
	zstd.WithSingleSegment(false), zstd.WithEncoderCRC(true))

// rewrittenFrame compresses content as one frame with a window of 8 MiB and
// the given Frame_Content_Size (declared < 0: none), as a general-purpose
// tool writes it.
func rewrittenFrame(t *testing.T, content []byte, declared int64) []byte {
	t.Helper()
	f := streamEnc.EncodeAll(content, nil)
	var h zstd.Header
	if err := h.Decode(f); err != nil || !h.HasCheckSum {
		t.Fatalf("frame header: %v", err)
	}
	out := append([]byte{}, f[:4]...)
	if declared < 0 {
		out = append(out, 0x04, 13<<3)
	} else {
		out = append(out, 0xC4, 13<<3)
		out = binary.LittleEndian.AppendUint64(out, uint64(declared))
	}
	return append(out, f[h.HeaderSize:]...)
}

func letters(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rng.IntN(26))
	}
	return b
}

func TestStreamedFrames(t *testing.T) {
	long := append(bytes.Repeat([]byte("x"), format.MaxLine+10), '\n')
	big := letters(4_500_000) // 4,500 lines of 1,000 bytes
	for i := 999; i < len(big); i += 1000 {
		big[i] = '\n'
	}
	plain, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithSingleSegment(true))
	tests := []struct {
		name     string
		data     func(t *testing.T) []byte
		lines    int
		problems []string // substrings, in order
		wantErr  bool     // reading stops with a container error
		tooLong  int      // lines over the limit
	}{
		{name: "small, no declared size", lines: 2,
			data:     func(t *testing.T) []byte { return rewrittenFrame(t, []byte("a\nb\n"), -1) },
			problems: []string{"does not declare its content size", "seek table missing"}},
		{name: "line over the limit inside a streamed frame", lines: 2, tooLong: 1,
			data:     func(t *testing.T) []byte { return rewrittenFrame(t, append(append([]byte{}, long...), "ok\n"...), -1) },
			problems: []string{"does not declare its content size", "seek table missing"}},
		{name: "unfinished line continues in the next frame", lines: 2,
			data: func(t *testing.T) []byte {
				return append(rewrittenFrame(t, []byte("a\nb"), -1), plain.EncodeAll([]byte("c\n"), nil)...)
			},
			problems: []string{"does not declare its content size", "does not end at a line boundary", "seek table missing"}},
		{name: "declared over 4 MiB", lines: 4500,
			data:     func(t *testing.T) []byte { return rewrittenFrame(t, big, int64(len(big))) },
			problems: []string{"declares 4500000 bytes, more than the 4194304", "seek table missing"}},
		{name: "no declared size, over 4 MiB", lines: 4500,
			data:     func(t *testing.T) []byte { return rewrittenFrame(t, big, -1) },
			problems: []string{"does not declare its content size", "decompresses to more than the 4194304", "seek table missing"}},
		{name: "declared size wrong", wantErr: true,
			data:     func(t *testing.T) []byte { return rewrittenFrame(t, big, int64(len(big))+1) },
			problems: []string{"declares 4500001 bytes", "does not decompress to the 4500001 bytes it declares"}},
		{name: "decompression bomb", wantErr: true,
			data: func(t *testing.T) []byte {
				return rewrittenFrame(t, bytes.Repeat([]byte(strings.Repeat("Z", 99)+"\n"), 80_000), -1)
			},
			problems: []string{"does not declare its content size", "decompresses to more than", "decompression bomb"}},
		{name: "truncated", wantErr: true,
			data: func(t *testing.T) []byte {
				f := rewrittenFrame(t, big, -1)
				return f[:len(f)/2]
			},
			problems: []string{"does not declare its content size", "truncated frame"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data(t)
			r := format.NewReader(bytes.NewReader(data))
			defer r.Close()
			var got []string
			r.OnProblem = func(e *format.ContainerError) { got = append(got, e.Msg) }
			n, long2 := 0, 0
			var err error
			for {
				var l format.Line
				l, err = r.Next()
				if err != nil {
					break
				}
				if l.TooLong {
					long2++
					if len(l.Bytes) != format.MaxLine || l.Hash != format.RecordHash(long[:len(long)-1]) {
						t.Errorf("long line: %d bytes kept, hash %x", len(l.Bytes), l.Hash)
					}
				}
				n++
			}
			var ce *format.ContainerError
			if gotErr := errors.As(err, &ce); gotErr != tc.wantErr || !gotErr && !errors.Is(err, io.EOF) {
				t.Fatalf("reading ended with %v, want a container error: %v", err, tc.wantErr)
			}
			if !tc.wantErr && n != tc.lines {
				t.Errorf("%d lines, want %d", n, tc.lines)
			}
			if long2 != tc.tooLong {
				t.Errorf("%d lines over the limit, want %d", long2, tc.tooLong)
			}
			if len(got) != len(tc.problems) {
				t.Fatalf("problems %q, want %q", got, tc.problems)
			}
			for i, p := range tc.problems {
				if !strings.Contains(got[i], p) {
					t.Errorf("problem %d: %q lacks %q", i, got[i], p)
				}
				for _, lib := range []string{"window size exceeded", "configured limit", "frame size", "unexpected EOF"} {
					if strings.Contains(got[i], lib) {
						t.Errorf("problem %d in the library's words: %q", i, got[i])
					}
				}
			}
		})
	}
}
