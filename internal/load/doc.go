// Package load is shoplab's load generator: it reads scenarios (YAML files
// describing who arrives when, from where, doing what), and runs them
// against the shop's gateway as an open model.
//
// Open model means that journeys start on their schedule whether or not
// earlier ones have finished, the way real users arrive. Each request's
// latency is measured from the moment its schedule said it should start,
// not from when it was actually sent, so a target that stalls is charged
// for the whole stall (no coordinated omission). When the generator
// itself cannot keep up (every journey slot busy, or arrivals starting
// late), the Result says so: a saturated generator does not report a
// rosy result.
//
// The CLI (shoplab load) only wires flags to [New] and [Engine.Run] and
// prints the [Result]; scenarios/README.md documents the scenario format
// and the JSON schema of a Result.
package load
