package wire

// TEMPORARY: replaced by deflate.go.

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
)

var errTooBig = errors.New("wire: message too big")

type decompressor struct{ noContext bool }

func newDecompressor(noContextTakeover bool) *decompressor {
	return &decompressor{noContext: noContextTakeover}
}

func (d *decompressor) decompress(dst, payload []byte, limit int64) ([]byte, error) {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(payload), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, limit+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	if n > limit {
		return nil, errTooBig
	}
	return append(dst, buf.Bytes()...), nil
}

func (d *decompressor) release() {}

type compressor struct{}

func newCompressor(noContextTakeover bool, maxWindowBits int) *compressor { return &compressor{} }

func (c *compressor) compress(dst, msg []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	_, _ = w.Write(msg)
	_ = w.Flush()
	b := buf.Bytes()
	return append(dst, b[:len(b)-4]...)
}

func (c *compressor) release() {}

type deflateParams struct {
	serverNoContextTakeover bool
	clientNoContextTakeover bool
	serverMaxWindowBits     int
	clientMaxWindowBits     int
}

func acceptDeflate(values []string) (string, deflateParams, bool) { return "", deflateParams{}, false }
func deflateOffer() string                                        { return "permessage-deflate" }
func parseDeflateResponse(values []string) (deflateParams, error) { return deflateParams{}, nil }
