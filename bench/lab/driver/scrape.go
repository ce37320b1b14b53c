package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// scrapeEvery is Prometheus' interval in the lab's compose stack.
const scrapeEvery = 5 * time.Second

// scraper fetches every service's /metrics on Prometheus' interval until
// stopped, as the compose stack's Prometheus would.
type scraper struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   int
}

func startScraper(ctx context.Context, urls []string) *scraper {
	ctx, cancel := context.WithCancel(ctx)
	s := &scraper{cancel: cancel}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		client := &http.Client{Timeout: 4 * time.Second}
		t := time.NewTicker(scrapeEvery)
		defer t.Stop()
		for {
			for _, u := range urls {
				if _, err := fetch(ctx, client, u); err != nil && ctx.Err() == nil {
					s.errs++
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *scraper) stop() {
	s.cancel()
	s.wg.Wait()
}

func fetch(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", url, resp.Status)
	}
	return string(b), nil
}

// metricSum sums every sample of the metric name in a text exposition.
func metricSum(text, name string) (float64, bool) {
	sum, found := 0.0, false
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		if i := strings.LastIndexByte(rest, '}'); i >= 0 {
			rest = rest[i+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		sum, found = sum+v, true
	}
	return sum, found
}

// scrapeValue reads one metric, summed over its series, from url.
func scrapeValue(ctx context.Context, url, name string) (float64, error) {
	text, err := fetch(ctx, &http.Client{Timeout: 5 * time.Second}, url)
	if err != nil {
		return 0, err
	}
	v, ok := metricSum(text, name)
	if !ok {
		return 0, fmt.Errorf("%s has no %s", url, name)
	}
	return v, nil
}
