package versions

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"index/suffixarray"
	"io"

	"github.com/dsnet/compress/bzip2"
)

// This file is our own BSDIFF40 writer. Why not a module: no bsdiff module
// is served by the module proxy we build from, and the format is small and
// stable (Colin Percival's bsdiff 4, which Debian's bspatch, Android's
// bspatch and the iOS patch libraries apply). The suffix search runs on the
// standard library's index/suffixarray, and the three blocks are compressed
// with github.com/dsnet/compress/bzip2 (the standard library only reads
// bzip2). Patches are checked by the real bspatch in the tests.
//
// The format: a 32-byte header "BSDIFF40", the compressed length of the
// control block, the compressed length of the diff block and the length of
// the new file (each an 8-byte sign-magnitude little-endian integer), then
// three bzip2 streams:
//   - control: triples (add, copy, seek): add bytes of diff to the old file
//     at the cursor, copy bytes from the extra block, move the old cursor;
//   - diff: new[i] - old[j] byte by byte for the "add" runs;
//   - extra: bytes of the new file the old one has no match for.

const bsdiffMagic = "BSDIFF40"

// Probe lengths of the approximate longest-match search (see search).
const (
	probeLen      = 64 // the longest prefix asked of the suffix array
	probeCands    = 16 // candidate positions extended past probeLen
	bzip2Level    = 9  // bsdiff's own level: 900k blocks
	diffBufferLen = 1 << 16
)

// Diff writes a BSDIFF40 patch from old to new to w. It holds old, new and
// old's suffix array (4 bytes per byte of old) in memory, and streams the
// diff and extra bytes through the compressors, so that its peak memory is
// about 5*len(old) + len(new) plus the compressed blocks.
func Diff(old, new []byte, w io.Writer) error {
	ctrl, diff, extra, err := newBlocks()
	if err != nil {
		return err
	}
	d := &differ{old: old, new: new, index: suffixarray.New(old)}
	if err := d.run(ctrl, diff, extra); err != nil {
		return err
	}
	for _, b := range []*block{ctrl, diff, extra} {
		if err := b.close(); err != nil {
			return err
		}
	}
	var header [32]byte
	copy(header[:8], bsdiffMagic)
	putOff(header[8:16], int64(ctrl.out.Len()))
	putOff(header[16:24], int64(diff.out.Len()))
	putOff(header[24:32], int64(len(new)))
	if _, err := w.Write(header[:]); err != nil {
		return err
	}
	for _, b := range []*block{ctrl, diff, extra} {
		if _, err := b.out.WriteTo(w); err != nil {
			return err
		}
	}
	return nil
}

// block is one compressed section of a patch, buffered until its length is
// known (the header comes first).
type block struct {
	out bytes.Buffer
	bz  *bzip2.Writer
	buf *bufio.Writer
}

func newBlocks() (ctrl, diff, extra *block, err error) {
	bs := make([]*block, 3)
	for i := range bs {
		b := &block{}
		if b.bz, err = bzip2.NewWriter(&b.out, &bzip2.WriterConfig{Level: bzip2Level}); err != nil {
			return nil, nil, nil, err
		}
		b.buf = bufio.NewWriterSize(b.bz, diffBufferLen)
		bs[i] = b
	}
	return bs[0], bs[1], bs[2], nil
}

func (b *block) close() error {
	if err := b.buf.Flush(); err != nil {
		return err
	}
	return b.bz.Close()
}

// putOff encodes x as bsdiff's offtout: magnitude little-endian, sign in
// the top bit of the last byte.
func putOff(b []byte, x int64) {
	neg := x < 0
	if neg {
		x = -x
	}
	binary.LittleEndian.PutUint64(b, uint64(x))
	if neg {
		b[7] |= 0x80
	}
}

// getOff decodes an offtout.
func getOff(b []byte) int64 {
	x := int64(binary.LittleEndian.Uint64(b) &^ (1 << 63))
	if b[7]&0x80 != 0 {
		return -x
	}
	return x
}

type differ struct {
	old, new []byte
	index    *suffixarray.Index
}

// matchLen is the length of the common prefix of a and b.
func matchLen(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		if x := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]); x != 0 {
			for x&0xff == 0 {
				x >>= 8
				i++
			}
			return i
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// search finds a long match of a prefix of s in old: the position and
// length. index/suffixarray answers where a given string occurs, not the
// longest match, so we ask it for s's first probeLen bytes (the common
// case between two builds of one app), else binary-search the longest
// prefix shorter than that which occurs (presence is monotonic in the
// length); matches of probeLen bytes are then extended byte by byte from a
// few candidate positions. It is exact below probeLen bytes and nearly so
// above, which is what bsdiff's scoring needs.
func (d *differ) search(s []byte) (pos, n int) {
	k := min(len(s), probeLen)
	if k == 0 {
		return 0, 0
	}
	cands := d.index.Lookup(s[:k], probeCands)
	if len(cands) == 0 {
		lo, hi := 0, k-1 // s[:lo] occurs (or lo is 0), s[:hi+1] does not
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if c := d.index.Lookup(s[:mid], 1); len(c) > 0 {
				lo, cands = mid, c
			} else {
				hi = mid - 1
			}
		}
		if lo == 0 || len(cands) == 0 {
			return 0, 0
		}
		return cands[0], lo
	}
	for _, c := range cands {
		if m := k + matchLen(d.old[c+k:], s[k:]); m > n {
			pos, n = c, m
		}
	}
	return pos, n
}

func (d *differ) run(ctrl, diff, extra *block) error {
	old, nw := d.old, d.new
	oldSize, newSize := len(old), len(nw)
	var scan, pos, n, lastScan, lastPos, lastOffset int
	matchesAt := func(i int) bool { // new[i] matches old at the last offset
		j := i + lastOffset
		return j >= 0 && j < oldSize && old[j] == nw[i]
	}
	var triple [24]byte
	for scan < newSize {
		oldScore := 0
		scan += n
		scsc := scan
		for ; scan < newSize; scan++ {
			pos, n = d.search(nw[scan:])
			for ; scsc < scan+n; scsc++ {
				if matchesAt(scsc) {
					oldScore++
				}
			}
			if (n == oldScore && n != 0) || n > oldScore+8 {
				break
			}
			if matchesAt(scan) {
				oldScore--
			}
		}
		if n == oldScore && scan != newSize {
			continue
		}
		// Extend the last match forward and this one backward while more
		// than half of the bytes agree; split any overlap where it scores
		// best.
		lenF := 0
		for i, s, best := 0, 0, 0; lastScan+i < scan && lastPos+i < oldSize; {
			if old[lastPos+i] == nw[lastScan+i] {
				s++
			}
			i++
			if s*2-i > best*2-lenF {
				best, lenF = s, i
			}
		}
		lenB := 0
		if scan < newSize {
			for i, s, best := 1, 0, 0; scan >= lastScan+i && pos >= i; i++ {
				if old[pos-i] == nw[scan-i] {
					s++
				}
				if s*2-i > best*2-lenB {
					best, lenB = s, i
				}
			}
		}
		if lastScan+lenF > scan-lenB {
			overlap := lastScan + lenF - (scan - lenB)
			s, best, lenS := 0, 0, 0
			for i := 0; i < overlap; i++ {
				if nw[lastScan+lenF-overlap+i] == old[lastPos+lenF-overlap+i] {
					s++
				}
				if nw[scan-lenB+i] == old[pos-lenB+i] {
					s--
				}
				if s > best {
					best, lenS = s, i+1
				}
			}
			lenF += lenS - overlap
			lenB -= lenS
		}
		for i := 0; i < lenF; i++ {
			if err := diff.buf.WriteByte(nw[lastScan+i] - old[lastPos+i]); err != nil {
				return err
			}
		}
		extraLen := scan - lenB - (lastScan + lenF)
		if _, err := extra.buf.Write(nw[lastScan+lenF : lastScan+lenF+extraLen]); err != nil {
			return err
		}
		putOff(triple[0:8], int64(lenF))
		putOff(triple[8:16], int64(extraLen))
		putOff(triple[16:24], int64(pos-lenB-(lastPos+lenF)))
		if _, err := ctrl.buf.Write(triple[:]); err != nil {
			return err
		}
		lastScan, lastPos, lastOffset = scan-lenB, pos-lenB, pos-scan
	}
	return nil
}

// ErrBadPatch is returned by Apply for a patch that is not a well-formed
// BSDIFF40 patch of the given old file.
var ErrBadPatch = errors.New("versions: corrupt BSDIFF40 patch")

// Apply writes the file that patch makes of old to w, as bspatch does. The
// server uses it to check a patch it built before publishing it; clients
// use their platform's bspatch.
func Apply(old []byte, patch []byte, w io.Writer) error {
	if len(patch) < 32 || string(patch[:8]) != bsdiffMagic {
		return ErrBadPatch
	}
	ctrlLen, diffLen, newSize := getOff(patch[8:16]), getOff(patch[16:24]), getOff(patch[24:32])
	if ctrlLen < 0 || diffLen < 0 || newSize < 0 || 32+ctrlLen+diffLen > int64(len(patch)) {
		return ErrBadPatch
	}
	open := func(from, to int64) (*bufio.Reader, error) {
		r, err := bzip2.NewReader(bytes.NewReader(patch[from:to]), nil)
		if err != nil {
			return nil, err
		}
		return bufio.NewReaderSize(r, diffBufferLen), nil
	}
	ctrl, err := open(32, 32+ctrlLen)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadPatch, err)
	}
	diff, err := open(32+ctrlLen, 32+ctrlLen+diffLen)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadPatch, err)
	}
	extra, err := open(32+ctrlLen+diffLen, int64(len(patch)))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadPatch, err)
	}
	bw := bufio.NewWriterSize(w, diffBufferLen)
	var triple [24]byte
	buf := make([]byte, diffBufferLen)
	var newPos, oldPos int64
	for newPos < newSize {
		if _, err := io.ReadFull(ctrl, triple[:]); err != nil {
			return fmt.Errorf("%w: control block: %v", ErrBadPatch, err)
		}
		add, copyLen, seek := getOff(triple[0:8]), getOff(triple[8:16]), getOff(triple[16:24])
		if add < 0 || copyLen < 0 || newPos+add+copyLen > newSize {
			return ErrBadPatch
		}
		for add > 0 {
			chunk := buf[:min(add, int64(len(buf)))]
			if _, err := io.ReadFull(diff, chunk); err != nil {
				return fmt.Errorf("%w: diff block: %v", ErrBadPatch, err)
			}
			for i := range chunk {
				if o := oldPos + int64(i); o >= 0 && o < int64(len(old)) {
					chunk[i] += old[o]
				}
			}
			if _, err := bw.Write(chunk); err != nil {
				return err
			}
			add -= int64(len(chunk))
			oldPos += int64(len(chunk))
			newPos += int64(len(chunk))
		}
		if _, err := io.CopyN(bw, extra, copyLen); err != nil {
			return fmt.Errorf("%w: extra block: %v", ErrBadPatch, err)
		}
		newPos += copyLen
		oldPos += seek
	}
	return bw.Flush()
}
