package build

import "github.com/grafana/grafana-foundation-sdk/go/dashboard"

// The SDK types a transformation's options as any: Grafana's schemas do
// not describe them. These structs follow the options Grafana's
// transformers read (public/app/features/transformers in grafana/grafana).

// organizeOptions are the options of the "organize" transformation.
type organizeOptions struct {
	ExcludeByName map[string]bool   `json:"excludeByName"`
	RenameByName  map[string]string `json:"renameByName"`
}

// Organize hides the fields exclude and renames others (old name to new),
// like Grafana's "Organize fields by name".
func Organize(exclude []string, rename map[string]string) dashboard.DataTransformerConfig {
	o := organizeOptions{ExcludeByName: map[string]bool{}, RenameByName: rename}
	for _, f := range exclude {
		o.ExcludeByName[f] = true
	}
	return dashboard.DataTransformerConfig{Id: "organize", Options: o}
}

// groupingToMatrixOptions are the options of the "groupingToMatrix"
// transformation.
type groupingToMatrixOptions struct {
	ColumnField string `json:"columnField"`
	RowField    string `json:"rowField"`
	ValueField  string `json:"valueField"`
	EmptyValue  string `json:"emptyValue"`
}

// GroupingToMatrix turns a table of (row, column, value) into a matrix:
// one row per rowField value, one column per columnField value, 0 where a
// combination has no value.
func GroupingToMatrix(columnField, rowField, valueField string) dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{Id: "groupingToMatrix", Options: groupingToMatrixOptions{
		ColumnField: columnField, RowField: rowField, ValueField: valueField, EmptyValue: "zero",
	}}
}
