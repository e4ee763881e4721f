package listfilter

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// ParseError is the only error Parse returns. It describes a query the
// caller wrote wrongly (syntax, unknown attribute, operator or value not
// valid for the attribute's type); the frontend reports it to the user as
// InvalidArgument.
type ParseError struct {
	// Pos is the 1-based character (not byte) offset of the offending token
	// in the query; 0 when the problem is not tied to one place.
	Pos int
	// Msg names the problem, without the "invalid query: " prefix.
	Msg string
}

func (e *ParseError) Error() string {
	if e.Pos > 0 {
		return "invalid query: " + e.Msg + " at position " + strconv.Itoa(e.Pos)
	}
	return "invalid query: " + e.Msg
}

// errorAt builds a ParseError for the token starting at byte offset off of src.
func errorAt(src string, off int, format string, args ...any) *ParseError {
	if off < 0 {
		off = 0
	}
	if off > len(src) {
		off = len(src)
	}
	return &ParseError{
		Pos: utf8.RuneCountInString(src[:off]) + 1,
		Msg: fmt.Sprintf(format, args...),
	}
}
