package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shoplab/shoplab/internal/region"
)

// Defaults and bounds of the duration parameters. The bounds keep a typo
// ("400s") from wedging the shop for the rest of a lesson.
const (
	DefaultQueryDelay = 400 * time.Millisecond
	DefaultHold       = 300 * time.Millisecond
	DefaultEvery      = 500 * time.Millisecond
	DefaultSMTPDelay  = 2 * time.Second

	maxDelay = 30 * time.Second
	maxHold  = 10 * time.Second
	maxEvery = time.Minute
)

// allowed lists the parameters each incident takes.
var allowed = map[string][]string{
	RegionOutage:   {ParamRegion},
	SlowQuery:      {ParamRPC, ParamDelay},
	NPlusOne:       nil,
	LockContention: {ParamHold, ParamEvery},
	SMTPSlow:       {ParamDelay},
	SMTPReject:     nil,
	OutboxStalled:  nil,
	Cardinality:    nil,
}

// parse checks params against incident name and fills in the defaults;
// the entry's params are the effective ones, so that a listing shows what
// acts.
func parse(name string, params Params) (entry, error) {
	for k := range params {
		if !slices.Contains(allowed[name], k) {
			return entry{}, fmt.Errorf("unknown parameter %q (takes %s): %w", k, takes(name), ErrBadParams)
		}
	}
	e := entry{params: Params{}}
	var err error
	switch name {
	case RegionOutage:
		r := params[ParamRegion]
		if !slices.Contains(region.All(), r) {
			return entry{}, fmt.Errorf("region %q is not one of %s: %w", r, strings.Join(region.All(), ", "), ErrBadParams)
		}
		e.region = r
		e.params[ParamRegion] = r
	case SlowQuery:
		rpc := params[ParamRPC]
		if rpc != RPCGetProduct && rpc != RPCListProducts {
			return entry{}, fmt.Errorf("rpc %q is not %s or %s: %w", rpc, RPCGetProduct, RPCListProducts, ErrBadParams)
		}
		e.rpc = rpc
		e.params[ParamRPC] = rpc
		if e.delay, err = duration(params, ParamDelay, DefaultQueryDelay, maxDelay); err != nil {
			return entry{}, err
		}
		e.params[ParamDelay] = e.delay.String()
	case LockContention:
		if e.hold, err = duration(params, ParamHold, DefaultHold, maxHold); err != nil {
			return entry{}, err
		}
		if e.every, err = duration(params, ParamEvery, DefaultEvery, maxEvery); err != nil {
			return entry{}, err
		}
		if e.hold >= e.every {
			// The writer would hold the lock for good, and every order fail
			// on the busy timeout instead of waiting.
			return entry{}, fmt.Errorf("hold %s must be shorter than every %s: %w", e.hold, e.every, ErrBadParams)
		}
		e.params[ParamHold], e.params[ParamEvery] = e.hold.String(), e.every.String()
	case SMTPSlow:
		if e.delay, err = duration(params, ParamDelay, DefaultSMTPDelay, maxDelay); err != nil {
			return entry{}, err
		}
		e.params[ParamDelay] = e.delay.String()
	}
	return e, nil
}

func duration(params Params, key string, def, limit time.Duration) (time.Duration, error) {
	raw, ok := params[key]
	if !ok {
		return def, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a duration like 400ms: %w", key, raw, ErrBadParams)
	}
	if d <= 0 || d > limit {
		return 0, fmt.Errorf("%s %s is not within (0, %s]: %w", key, d, limit, ErrBadParams)
	}
	return d, nil
}

func takes(name string) string {
	if len(allowed[name]) == 0 {
		return "no parameters"
	}
	return strings.Join(allowed[name], ", ")
}
