//go:build !race

package doctor

// slowdown stretches the tests' deadlines (see race_on_test.go).
const slowdown = 1
