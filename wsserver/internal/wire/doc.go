// Package wire is wsserver's WebSocket engine: RFC 6455 on a net.Conn,
// with Qt's rules wherever Qt has one.
//
// It knows nothing of signals or objects. A [Conn] is one upgraded
// connection: a reader goroutine parses the peer's frames (header checks
// in Qt's order, unmasking, UTF-8 validated as the bytes arrive, control
// frames in line) and hands them, in wire order and in batches, to the
// goroutine that owns the connection, through the [Runner] it was given;
// there they reach the [Handler]. What the owner sends is framed at once
// into an outgoing queue and written at the end of the owner's current
// iteration, with one non-blocking write when the kernel takes it all,
// else by a writer goroutine that lives only while the peer lags.
//
// [Dial] runs a client's opening handshake (Qt's request, Qt's checks of
// the answer); [ReadRequestHead] and [WriteResponse] are the server's
// side of it. permessage-deflate (RFC 7692) is negotiated and applied
// here too.
//
// Every payload handed to a Handler is a fresh buffer the handler owns:
// a message is read into the buffer it is delivered in, sized from the
// frame header.
package wire
