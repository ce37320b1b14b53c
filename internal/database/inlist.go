package database

import (
	"strconv"
	"strings"
)

// InList is the parenthesised list of placeholders for an IN over values,
// "($k, $k+1, ...)", numbered after the leading arguments, and the
// arguments a query ending in it binds: leading, then values. A query
// must write the leading arguments' $1..$n before the list (see the
// package comment). values must not be empty: "()" is not SQL.
func InList[T any](values []T, leading ...any) (list string, args []any) {
	var b strings.Builder
	b.WriteByte('(')
	args = append(make([]any, 0, len(leading)+len(values)), leading...)
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		args = append(args, v)
		b.WriteString("$" + strconv.Itoa(len(args)))
	}
	b.WriteByte(')')
	return b.String(), args
}
