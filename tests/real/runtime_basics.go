package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"
)

type node struct{ next *node; buf []byte }

func main() {
	// timers and tickers
	t := time.NewTicker(10 * time.Millisecond)
	n := 0
	for range t.C { n++; if n == 5 { break } }
	t.Stop()
	<-time.After(20 * time.Millisecond)
	fmt.Println("ticks", n)
	// GC-heavy allocation
	var keep *node
	for i := 0; i < 200000; i++ { keep = &node{next: keep, buf: make([]byte, 64)}; if i%1000 == 0 { keep = nil } }
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Println("gc cycles > 0:", ms.NumGC > 0)
	// goroutines
	var wg sync.WaitGroup
	var mu sync.Mutex
	sum := 0
	for i := 0; i < 8; i++ { wg.Add(1); go func(i int) { defer wg.Done(); for j := 0; j < 1000; j++ { mu.Lock(); sum += i; mu.Unlock() } }(i) }
	wg.Wait()
	fmt.Println("sum", sum)
	// os.ReadFile
	b, err := os.ReadFile("/etc/hostname")
	fmt.Println("readfile", err == nil, len(b) > 0)
	// os/exec
	out, err := exec.Command("/bin/echo", "hello", "exec").Output()
	fmt.Println("exec", strings.TrimSpace(string(out)), err)
	fmt.Println("cpus", runtime.NumCPU())
}
