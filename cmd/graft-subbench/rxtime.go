package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Note [arrival time]: the load generator shares the machine's two cores
// with graft, so the moment it gets to read a message (after the Go
// scheduler ran its reader) can be well after the message reached its
// socket. Besides that read time, each connection records when the
// kernel received the data it read (SO_TIMESTAMPNS on the socket; for
// TCP, recvmsg reports the receive time of the last segment it copied,
// so a read holding an earlier message too reports the later time). The
// benchmark reports both: "arrival" is the delivery as a client on
// another machine would see it, "read" adds this process's own delay.

// rxConn is a TCP connection recording the kernel's receive time of the
// data of its latest read.
type rxConn struct {
	*net.TCPConn
	raw  syscall.RawConn
	oob  []byte
	last atomic.Int64 // unix nanoseconds
}

// dialRx dials a TCP connection with receive timestamps on.
func dialRx(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := c.(*net.TCPConn)
	raw, err := tc.SyscallConn()
	if err != nil {
		c.Close()
		return nil, err
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	})
	if err = errors.Join(err, serr); err != nil {
		c.Close()
		return nil, fmt.Errorf("SO_TIMESTAMPNS: %w", err)
	}
	return &rxConn{TCPConn: tc, raw: raw, oob: make([]byte, syscall.CmsgSpace(int(unsafe.Sizeof(syscall.Timespec{}))))}, nil
}

// Read is net.Conn's, through recvmsg.
func (c *rxConn) Read(b []byte) (int, error) {
	var n, oobn int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = syscall.Recvmsg(int(fd), b, c.oob, 0)
		return rerr != syscall.EAGAIN
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	if msgs, perr := syscall.ParseSocketControlMessage(c.oob[:oobn]); perr == nil {
		for _, m := range msgs {
			if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(syscall.Timespec{})) {
				ts := (*syscall.Timespec)(unsafe.Pointer(&m.Data[0]))
				c.last.Store(ts.Nano())
			}
		}
	}
	return n, nil
}

// arrived is when the kernel received the data of the latest read; the
// zero time before any.
func (c *rxConn) arrived() time.Time {
	ns := c.last.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// rxClient returns an HTTP client whose connections record receive
// times; dialed gets each connection (the websocket handshake's).
func rxClient(dialed func(*rxConn)) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialRx(ctx, network, addr)
			if err == nil {
				dialed(c.(*rxConn))
			}
			return c, err
		},
	}}
}
