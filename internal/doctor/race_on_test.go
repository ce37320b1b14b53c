//go:build race

package doctor

// slowdown stretches the tests' deadlines: the race detector makes the
// shop (bcrypt above all) several times slower.
const slowdown = 6
