package config

// Desktop is what ShopLab reads of the desktop's own conventions, to open
// links and to tell whether the terminal can show the TUI.
type Desktop struct {
	// Term is TERM: "dumb" means no TUI.
	Term string
	// Display and WaylandDisplay are DISPLAY and WAYLAND_DISPLAY: on
	// Linux, without either a browser would open in the terminal itself.
	Display, WaylandDisplay string
	// Browser is BROWSER, the program that opens links in place of the
	// system's opener.
	Browser string
}

// LoadDesktop reads the desktop's variables. It cannot fail, so the help
// and the links work however the lab is configured.
func LoadDesktop(getenv Getenv) Desktop {
	r := newReader(getenv)
	return Desktop{
		Term:           r.str("TERM"),
		Display:        r.str("DISPLAY"),
		WaylandDisplay: r.str("WAYLAND_DISPLAY"),
		Browser:        r.str("BROWSER"),
	}
}

// CanOpenBrowser reports whether a browser can be opened without taking
// over the terminal on Linux and the BSDs, where xdg-open falls back to a
// text browser: a graphical display, or a BROWSER the user chose.
func (d Desktop) CanOpenBrowser() bool {
	return d.Display != "" || d.WaylandDisplay != "" || d.Browser != ""
}
