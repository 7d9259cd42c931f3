package common

import (
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/qtgo/qtgo/signals"
)

// A Script runs actions one after another; a wait suspends it until a
// signal has been notified (or its bound passes). The type that embeds it
// does the actions that are not wait, sleep or quit (Qt's virtual act).
type Script struct {
	signals.Object
	// Finished is emitted once, when the last action has run.
	Finished signals.Signal0

	act      func(verb, arg string) bool
	who      string
	actions  []string
	next     int
	emitted  map[string]int
	consumed map[string]int
	waiting  string // the signal waited for, "" while not waiting
	sleeping bool
	running  bool
	finished bool
	timer    *signals.Timer
}

// InitScript is Script's constructor, run by the embedding type after
// signals.Init; act does one action and returns false for an unknown verb.
func (s *Script) InitScript(who string, actions []string, act func(verb, arg string) bool) {
	s.who, s.actions, s.act = who, actions, act
	s.emitted, s.consumed = map[string]int{}, map[string]int{}
	s.timer = signals.NewTimer(s)
	s.timer.SetSingleShot(true)
	s.timer.Timeout.Connect(s, s.timedOut)
}

// Who is the script's name in printed lines.
func (s *Script) Who() string { return s.who }

// Print prints one line of this script's object.
func (s *Script) Print(rest string) { PrintLine(s.who + " " + rest) }

// Start runs the actions up to the first wait that must wait.
func (s *Script) Start() { s.run() }

// Notify counts one emission of name and resumes a wait for it.
func (s *Script) Notify(name string) {
	s.emitted[name]++
	if s.running || s.waiting != name {
		return
	}
	s.consumed[name]++
	s.waiting = ""
	s.timer.Stop()
	s.run()
}

func (s *Script) timedOut() {
	if s.sleeping {
		s.sleeping = false
	} else {
		s.Print("wait " + s.waiting + " -> timeout")
		s.waiting = ""
	}
	s.run()
}

func (s *Script) run() {
	if s.running {
		return
	}
	s.running = true
	for s.next < len(s.actions) {
		action := s.actions[s.next]
		s.next++
		verb, arg, _ := strings.Cut(action, " ")
		if verb == "wait" {
			parts := strings.Split(arg, " ")
			name := parts[0]
			ms := 8000
			if len(parts) > 1 {
				ms, _ = strconv.Atoi(parts[1])
			}
			if s.emitted[name] > s.consumed[name] {
				s.consumed[name]++
				continue
			}
			s.waiting = name
			s.timer.Start(time.Duration(ms) * time.Millisecond)
			s.running = false
			return
		}
		if verb == "sleep" {
			ms, _ := strconv.Atoi(arg)
			s.sleeping = true
			s.timer.Start(time.Duration(ms) * time.Millisecond)
			s.running = false
			return
		}
		if verb == "quit" {
			QuitProgram()
			s.running = false
			return
		}
		if !s.act(verb, arg) {
			s.Print("error unknown action " + Quoted([]byte(action)))
		}
	}
	s.running = false
	if !s.finished {
		s.finished = true
		s.Finished.Emit()
	}
}

// A StdinWatcher notifies a script of "eof" when standard input closes.
type StdinWatcher struct {
	signals.Object
	script interface{ Notify(string) }
}

// NewStdinWatcher watches standard input for script (Qt: a QSocketNotifier
// on descriptor 0; here a goroutine that reads it to the end).
func NewStdinWatcher(script interface{ Notify(string) }, parent signals.AnyObject) *StdinWatcher {
	w := &StdinWatcher{script: script}
	signals.Init(w, parent)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin) // what the runner writes is not read: only the end counts
		signals.InvokeMethod(w, func() { w.script.Notify("eof") }, signals.QueuedConnection)
	}()
	return w
}
