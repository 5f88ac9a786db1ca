package sdk

import (
	"context"
	"errors"
	"io"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/plugins"
	filesv1 "github.com/switchboardhq/switchboard/plugins/proto/switchboard/files/v1"
)

// filesServer serves a core.FileDriver as files.v1.
type filesServer struct {
	filesv1.UnimplementedFilesServer
	d core.FileDriver
}

func (s *filesServer) Check(ctx context.Context, _ *filesv1.CheckRequest) (*filesv1.CheckResponse, error) {
	return &filesv1.CheckResponse{}, check(ctx, s.d)
}

// Put hands the driver a reader over the stream's chunks, so the body is
// never held whole. A stream that the host cancels makes the reader fail,
// and the driver's Put then keeps nothing (its own promise).
func (s *filesServer) Put(stream filesv1.Files_PutServer) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	h := first.GetHeader()
	if h == nil {
		return plugins.ToStatus(ctx, core.Errorf(core.CodeInvalidValue, "an upload must start with its header"))
	}
	info, err := s.d.Put(ctx, h.Name, &putReader{stream: stream}, h.Size, h.ContentType)
	if err != nil {
		return plugins.ToStatus(ctx, err)
	}
	return stream.SendAndClose(&filesv1.PutResponse{Info: plugins.InfoToProto(info)})
}

// putReader reads the chunks of a Put stream.
type putReader struct {
	stream filesv1.Files_PutServer
	buf    []byte
	err    error
}

func (r *putReader) Read(b []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		msg, err := r.stream.Recv()
		switch {
		case errors.Is(err, io.EOF):
			r.err = io.EOF
		case err != nil:
			r.err = &core.Error{Code: core.CodeConnectionFailed, Message: "the upload was interrupted", Err: err}
		case msg.GetHeader() != nil:
			r.err = core.Errorf(core.CodeInvalidValue, "an upload has one header, first")
		default:
			r.buf = msg.GetChunk()
		}
	}
	n := copy(b, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Get sends the file's info, then its body in chunks.
func (s *filesServer) Get(req *filesv1.GetRequest, stream filesv1.Files_GetServer) error {
	ctx := stream.Context()
	var rng *core.ByteRange
	if r := req.Range; r != nil {
		rng = &core.ByteRange{Offset: r.Offset, Length: r.Length}
	}
	rc, info, err := s.d.Get(ctx, req.Name, rng)
	if err != nil {
		return plugins.ToStatus(ctx, err)
	}
	defer rc.Close()
	if err := stream.Send(&filesv1.GetResponse{Part: &filesv1.GetResponse_Info{Info: plugins.InfoToProto(info)}}); err != nil {
		return err
	}
	buf := make([]byte, plugins.ChunkSize)
	chunk := &filesv1.GetResponse_Chunk{}
	msg := &filesv1.GetResponse{Part: chunk}
	for {
		n, err := io.ReadFull(rc, buf)
		if n > 0 {
			chunk.Chunk = buf[:n]
			if sendErr := stream.Send(msg); sendErr != nil {
				return sendErr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return plugins.ToStatus(ctx, err)
		}
	}
}

func (s *filesServer) Stat(ctx context.Context, req *filesv1.StatRequest) (*filesv1.StatResponse, error) {
	info, err := s.d.Stat(ctx, req.Name)
	if err != nil {
		return nil, plugins.ToStatus(ctx, err)
	}
	return &filesv1.StatResponse{Info: plugins.InfoToProto(info)}, nil
}

func (s *filesServer) Delete(ctx context.Context, req *filesv1.DeleteRequest) (*filesv1.DeleteResponse, error) {
	if err := s.d.Delete(ctx, req.Name); err != nil {
		return nil, plugins.ToStatus(ctx, err)
	}
	return &filesv1.DeleteResponse{}, nil
}

func (s *filesServer) List(ctx context.Context, req *filesv1.ListRequest) (*filesv1.ListResponse, error) {
	limit := int(req.Limit)
	if limit <= 0 || limit > core.MaxListLimit {
		limit = core.DefaultListLimit
	}
	page, err := s.d.List(ctx, core.ListOptions{Prefix: req.Prefix, Cursor: req.Cursor, Limit: limit})
	if err != nil {
		return nil, plugins.ToStatus(ctx, err)
	}
	resp := &filesv1.ListResponse{Next: page.Next, Files: make([]*filesv1.FileInfo, len(page.Files))}
	for i, f := range page.Files {
		resp.Files[i] = plugins.InfoToProto(f)
	}
	return resp, nil
}
