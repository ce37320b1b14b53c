// Package lesson runs ShopLab's guided lessons: a lesson breaks the shop
// in a hidden way (incidents switched on inside the services through
// package incident, or a container of the pipeline stopped), drives
// traffic through it with the load engine, and checks the learner's answer
// once they have found the cause with the lab's own tools.
//
// The lessons are Go code, not data files, because each one is more than
// text: a seeded choice of what to break, a checker of the answer, and a
// debrief that gathers its evidence from the running lab. Being compiled
// with the checker, the engine and the solver tests, a lesson cannot name
// an incident, a parameter or a metric that does not exist.
// lessons/README.md documents them.
//
// The Engine is the one API over them, used by `shoplab lesson` and the
// TUI alike. Its state is the progress file <data dir>/lesson.json, so a
// lesson started in the terminal can be answered in the TUI and the other
// way round.
package lesson
