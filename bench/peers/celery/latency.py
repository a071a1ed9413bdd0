# Producer: delay().get() one at a time, as tq's latency bench enqueues and waits: 2-5 ms pause
# between samples, warm-up first. Prints one JSON line: enqueue-to-start and enqueue-to-result
# samples in ms.
import json
import random
import sys
import time

from tasks import lat

warm, n = int(sys.argv[1]), int(sys.argv[2])
start, result = [], []
for i in range(warm + n):
    t0 = time.monotonic_ns()
    started = lat.delay(t0).get(timeout=10)
    total = (time.monotonic_ns() - t0) / 1e6
    if i >= warm:
        start.append(started)
        result.append(total)
    time.sleep(random.uniform(0.002, 0.005))
print(json.dumps({'start': start, 'result': result}))
