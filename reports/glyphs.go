package reports

import (
	"encoding/binary"
	"errors"
)

// glyphs is the set of characters a TrueType font has glyphs for, read
// from its cmap table (formats 4 and 12, Unicode encodings), so that the
// PDF prints a character the font lacks as U+XXXX rather than a box.
type glyphs struct {
	ranges [][2]rune // sorted, inclusive
}

func (g *glyphs) has(r rune) bool {
	lo, hi := 0, len(g.ranges)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case r < g.ranges[m][0]:
			hi = m
		case r > g.ranges[m][1]:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

var errCmap = errors.New("font has no readable Unicode cmap")

// readGlyphs reads the font's best Unicode cmap subtable.
func readGlyphs(ttf []byte) (*glyphs, error) {
	be := binary.BigEndian
	if len(ttf) < 12 {
		return nil, errCmap
	}
	n := int(be.Uint16(ttf[4:]))
	var cmap []byte
	for i := 0; i < n; i++ {
		rec := 12 + 16*i
		if rec+16 > len(ttf) {
			return nil, errCmap
		}
		if string(ttf[rec:rec+4]) == "cmap" {
			off, ln := int(be.Uint32(ttf[rec+8:])), int(be.Uint32(ttf[rec+12:]))
			if off < 0 || ln < 0 || off+ln > len(ttf) {
				return nil, errCmap
			}
			cmap = ttf[off : off+ln]
		}
	}
	if len(cmap) < 4 {
		return nil, errCmap
	}
	var best []byte
	bestFmt := 0
	for i := 0; i < int(be.Uint16(cmap[2:])); i++ {
		rec := 4 + 8*i
		if rec+8 > len(cmap) {
			return nil, errCmap
		}
		pid, eid, off := be.Uint16(cmap[rec:]), be.Uint16(cmap[rec+2:]), int(be.Uint32(cmap[rec+4:]))
		if off+2 > len(cmap) || !(pid == 0 || (pid == 3 && (eid == 1 || eid == 10))) {
			continue
		}
		f := int(be.Uint16(cmap[off:]))
		if (f == 12 && bestFmt != 12) || (f == 4 && bestFmt == 0) {
			best, bestFmt = cmap[off:], f
		}
	}
	g := &glyphs{}
	switch bestFmt {
	case 12:
		if len(best) < 16 {
			return nil, errCmap
		}
		groups := int(be.Uint32(best[12:]))
		for i := 0; i < groups; i++ {
			p := 16 + 12*i
			if p+12 > len(best) {
				return nil, errCmap
			}
			g.ranges = append(g.ranges, [2]rune{rune(be.Uint32(best[p:])), rune(be.Uint32(best[p+4:]))})
		}
	case 4:
		if len(best) < 14 {
			return nil, errCmap
		}
		segs := int(be.Uint16(best[6:])) / 2
		if 16+8*segs > len(best) {
			return nil, errCmap
		}
		ends, starts := best[14:], best[16+2*segs:]
		deltas, offsets := best[16+4*segs:], best[16+6*segs:]
		for i := 0; i < segs; i++ {
			end, start := rune(be.Uint16(ends[2*i:])), rune(be.Uint16(starts[2*i:]))
			delta, ro := be.Uint16(deltas[2*i:]), int(be.Uint16(offsets[2*i:]))
			if start == 0xFFFF {
				continue
			}
			if ro == 0 {
				// Every code maps through the delta; only glyph 0 is missing.
				for c := start; c <= end; c++ {
					if uint16(c)+delta != 0 {
						g.add(c)
					}
				}
				continue
			}
			for c := start; c <= end; c++ {
				p := 16 + 6*segs + 2*i + ro + 2*int(c-start)
				if p+2 > len(best) {
					break
				}
				if be.Uint16(best[p:]) != 0 {
					g.add(c)
				}
			}
		}
	default:
		return nil, errCmap
	}
	return g, nil
}

// add appends r, merging it with the last range when adjacent (format 4
// is read in increasing order).
func (g *glyphs) add(r rune) {
	if n := len(g.ranges); n > 0 && g.ranges[n-1][1]+1 == r {
		g.ranges[n-1][1] = r
		return
	}
	g.ranges = append(g.ranges, [2]rune{r, r})
}
