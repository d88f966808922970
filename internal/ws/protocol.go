package ws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/graftql/graft/internal/exec"
	"github.com/graftql/graft/internal/gql"
)

// protocol is the websocket subprotocol of a connection, chosen by
// Sec-WebSocket-Protocol (hasura/graphql-engine:
// Hasura/GraphQL/Transport/WebSocket/Protocol.hs, toWSSubProtocol).
type protocol int8

const (
	// apollo is "graphql-ws", Apollo's subscriptions-transport-ws; also
	// what a client that names no known subprotocol gets.
	apollo protocol = iota
	// transportWS is "graphql-transport-ws" (the graphql-ws npm package).
	transportWS
)

// Subprotocol names.
const (
	subprotocolApollo    = "graphql-ws"
	subprotocolTransport = "graphql-transport-ws"
)

// Close codes and reasons (hasura.md §5.9; enisdenjo/graphql-ws PROTOCOL.md).
const (
	closeNormal          websocket.StatusCode = 1000
	closeInternalError   websocket.StatusCode = 1011
	closeServiceRestart  websocket.StatusCode = 1012
	closeBadRequest      websocket.StatusCode = 4400
	closeUnauthorized    websocket.StatusCode = 4401
	closeForbidden       websocket.StatusCode = 4403
	closeInitTimeout     websocket.StatusCode = 4408
	closeSubscriberExist websocket.StatusCode = 4409
	closeTooManyInits    websocket.StatusCode = 4429
)

// clientMessage is a message from the client in either protocol; Hasura
// accepts the message types of both on every connection.
type clientMessage struct {
	Type    string          `json:"type"`
	ID      *string         `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// errParse is a message that is not a client message ("parsing
// ClientMessage failed: ...").
type errParse struct{ msg string }

func (e *errParse) Error() string { return e.msg }

func parseMessage(data []byte) (*clientMessage, error) {
	var m clientMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, &errParse{"Error in $: " + err.Error()}
	}
	switch m.Type {
	case "connection_init", "connection_terminate", "ping", "pong":
	case "start", "subscribe", "stop", "complete":
		if m.ID == nil {
			return nil, &errParse{`Error in $: key "id" not found`}
		}
	case "":
		return nil, &errParse{`Error in $: key "type" not found`}
	default:
		return nil, &errParse{"Error in $: unexpected type for ClientMessage: " + m.Type}
	}
	return &m, nil
}

// connParams is the payload of connection_init.
type connParams struct {
	Headers map[string]string `json:"headers"`
}

func parseConnParams(raw json.RawMessage) (*connParams, error) {
	var p connParams
	if len(raw) == 0 || string(raw) == "null" {
		return &p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, &errParse{"Error in $.payload: " + err.Error()}
	}
	return &p, nil
}

// parseStart decodes the payload of start/subscribe: a GraphQL request.
func parseStart(raw json.RawMessage) (*gql.Request, error) {
	var in struct {
		Query         *string         `json:"query"`
		Variables     json.RawMessage `json:"variables"`
		OperationName *string         `json:"operationName"`
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, &errParse{`Error in $: key "payload" not found`}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return nil, &errParse{"Error in $.payload: " + err.Error()}
	}
	if in.Query == nil {
		return nil, &errParse{`Error in $.payload: key "query" not found`}
	}
	req := &gql.Request{Query: *in.Query}
	if in.OperationName != nil {
		req.OperationName = *in.OperationName
	}
	if err := req.SetVariables(in.Variables); err != nil {
		return nil, &errParse{"Error in $.payload.variables: expected an object"}
	}
	return req, nil
}

func isParseError(err error) bool {
	var pe *errParse
	return errors.As(err, &pe)
}

// Server messages. Keys come in Hasura's order: type, id, payload.

var (
	msgAck          = []byte(`{"type":"connection_ack"}`)
	msgKeepAlive    = []byte(`{"type":"ka"}`)
	msgPingKeepAliv = []byte(`{"type":"ping","payload":{"message":"keepalive"}}`)
	msgPong         = []byte(`{"type":"pong"}`)
)

// message builds {"type":typ[,"id":id][,"payload":payload]}.
func message(typ, id string, payload []byte) []byte {
	out := make([]byte, 0, len(typ)+len(id)+len(payload)+40)
	out = append(out, `{"type":"`...)
	out = append(out, typ...)
	out = append(out, '"')
	if id != "" {
		out = append(out, `,"id":`...)
		out = exec.AppendJSONString(out, id)
	}
	if payload != nil {
		out = append(out, `,"payload":`...)
		out = append(out, payload...)
	}
	return append(out, '}')
}

func jsonString(s string) []byte { return exec.AppendJSONString(nil, s) }

// closeReason truncates a close reason to the 123 bytes a close frame
// holds, on a UTF-8 boundary.
func closeReason(s string) string {
	const max = 123
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func codeReason(code websocket.StatusCode, text string) string {
	return closeReason(fmt.Sprintf("%s: %s", strconv.Itoa(int(code)), text))
}
