"""Soak the matting page: a few hundred requests from concurrent clients on
loopback; report the server's peak resident memory and latencies.

Starts ``tools/serve.py`` in a child process on 127.0.0.1 (a free port)
with the tiny demo MatteFormer (random init unless ``--model`` gives a
config and checkpoint), waits for it, warms the model up (its memory per
pixel is measured on first use), then sends ``--requests`` requests from
``--clients`` threads. Requests cycle through photo sizes (``--sizes``),
trimaps and coarse masks and foreground methods (``--fg-methods``); every
``--bad-every``-th one is bad input (wrong-size trimap, a band above the
limit, a text file, an unknown model), which must be answered 4xx. A client that gets 503 waits the
``Retry-After`` seconds (at most ``--max-retry-wait``) and sends the same
request again. The server is stopped at the end.

Printed: status counts, p50 / p95 / max latency of the answered requests
(seconds, from first send to the 200, retries included), the server's RSS
when idle after the warm-up and its peak (``VmHWM``, reset after the
warm-up) during the soak, and
the limits it ran with. Exit status 1 when an answer was a 5xx other than
503 or the peak exceeded idle RSS plus the memory budget.

Example (the numbers in docs/serve.md)::

    python tools/benchmarks/serve_soak.py --requests 300 --clients 8
"""
import argparse
import json
import os
import os.path as osp
import re
import socket
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'demo', 'matteformer-tiny_demo.py')


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def status_kb(pid: int, field: str) -> int:
    """A ``/proc/PID/status`` memory field in bytes."""
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def make_inputs(w: int, h: int) -> Dict[str, bytes]:
    """PNG photo, trimap and mask of a textured scene with an object."""
    import cv2
    import numpy as np
    rng = np.random.default_rng(w * 7 + h)
    small = rng.integers(0, 255, (h // 16 + 1, w // 16 + 1, 3), np.uint8)
    photo = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 2, h // 2), (w * 3 // 10, h // 3), 0, 0, 360,
                255, -1)
    sys.path.insert(0, ROOT)
    from dpt_mm.apis.matting_ops import trimap_from_mask
    trimap = trimap_from_mask(mask, band=max(2, min(w, h) // 40))
    enc = lambda img: cv2.imencode('.png', img)[1].tobytes()  # noqa: E731
    return dict(
        photo=enc(photo),
        trimap=enc(trimap),
        mask=enc(mask),
        small_trimap=enc(trimap[:h // 2]))


def percentile(values: List[float], q: float) -> float:
    """The ``q``-quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q * len(ordered))) - 1))
    return ordered[k]


class Soak:
    """Clients of one soak run against a server URL.

    Args:
        url (str): The server.
        inputs (dict): ``(w, h)`` -> files of :func:`make_inputs`.
        bad_every (int): Every n-th request is bad input.
        max_retry_wait (float): Longest wait honoured from Retry-After.
        fg_methods (list[str]): Foreground methods, cycled.
    """

    BAD = ('small_trimap', 'band', 'text', 'model')

    def __init__(self, url: str, inputs: Dict, bad_every: int,
                 max_retry_wait: float, fg_methods: List[str]) -> None:
        self.url = url
        self.fg_methods = fg_methods
        self.inputs = inputs
        self.sizes = sorted(inputs)
        self.bad_every = bad_every
        self.max_retry_wait = max_retry_wait
        self.lock = threading.Lock()
        self.next = 0
        self.total = 0
        self.codes: Dict[int, int] = {}
        self.latencies: List[float] = []
        self.retries = 0
        self.failures: List[str] = []

    def request(self, i: int):
        """Form fields and files of request ``i``, and whether it is bad."""
        w, h = self.sizes[i % len(self.sizes)]
        files = self.inputs[(w, h)]
        data = dict(
            model='m0',
            fg_method=self.fg_methods[(i // 2) % len(self.fg_methods)])
        upload = dict(photo=('photo.png', files['photo']))
        bad = self.bad_every and i % self.bad_every == self.bad_every - 1
        kind = self.BAD[(i // max(self.bad_every, 1)) % len(self.BAD)] \
            if bad else None
        if kind == 'small_trimap':
            upload['trimap'] = ('trimap.png', files['small_trimap'])
        elif kind == 'band':
            upload['mask'] = ('mask.png', files['mask'])
            data['band'] = str(min(w, h))
        elif kind == 'text':
            upload['photo'] = ('notes.txt', b'not an image\n')
            upload['trimap'] = ('trimap.png', files['trimap'])
        elif kind == 'model':
            data['model'] = 'nope'
            upload['trimap'] = ('trimap.png', files['trimap'])
        elif i % 2:
            upload['mask'] = ('mask.png', files['mask'])
            data['band'] = '8'
        else:
            upload['trimap'] = ('trimap.png', files['trimap'])
        return data, upload, bool(bad)

    def client(self) -> None:
        """Send requests until the count is reached."""
        import requests
        while True:
            with self.lock:
                if self.next >= self.total:
                    return
                i = self.next
                self.next += 1
            data, upload, bad = self.request(i)
            start = time.time()
            while True:
                try:
                    r = requests.post(
                        f'{self.url}/api/matte',
                        data=data,
                        files=upload,
                        timeout=600)
                except requests.RequestException as err:
                    with self.lock:
                        self.failures.append(f'request {i}: {err}')
                    break
                with self.lock:
                    self.codes[r.status_code] = self.codes.get(
                        r.status_code, 0) + 1
                if r.status_code == 503:
                    with self.lock:
                        self.retries += 1
                    time.sleep(
                        min(
                            float(r.headers.get('retry-after', 1)),
                            self.max_retry_wait))
                    continue
                ok = (400 <= r.status_code < 500) if bad else \
                    r.status_code == 200
                with self.lock:
                    if not ok:
                        self.failures.append(
                            f'request {i} (bad={bad}): {r.status_code} '
                            f'{r.text[:200]}')
                    elif not bad:
                        self.latencies.append(time.time() - start)
                break

    def run(self, total: int, clients: int) -> None:
        """Send ``total`` requests from ``clients`` threads."""
        self.total = total
        threads = [
            threading.Thread(target=self.client, daemon=True)
            for _ in range(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--requests', type=int, default=300)
    parser.add_argument('--clients', type=int, default=8)
    parser.add_argument(
        '--sizes',
        nargs='+',
        default=['320x240', '640x480', '1024x768'],
        help='photo sizes WxH, cycled')
    parser.add_argument('--bad-every', type=int, default=10)
    parser.add_argument(
        '--fg-methods',
        nargs='+',
        default=['blur', 'auto'],
        help='foreground methods, cycled')
    parser.add_argument('--max-retry-wait', type=float, default=5.)
    parser.add_argument(
        '--model',
        nargs=2,
        metavar=('CONFIG', 'CKPT'),
        default=[CONFIG, 'random'])
    parser.add_argument(
        '--serve-args',
        default='',
        help='more arguments for tools/serve.py, e.g. '
        '"--max-in-flight 2 --memory-budget-gb 4"')
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args(argv)
    args.sizes = [tuple(int(v) for v in s.split('x')) for s in args.sizes]
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Run the soak; return 0 when every answer was as expected."""
    import requests
    args = parse_args(argv)
    port = free_port()
    url = f'http://127.0.0.1:{port}'
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools', 'serve.py'), '--model', *args.model,
        '--no-random-init', '--host', '127.0.0.1', '--port',
        str(port), '--device', 'cpu', *args.serve_args.split()
    ]
    env = dict(os.environ, PYTHONPATH=ROOT)
    log = open(osp.join(os.environ.get('TMPDIR', '/tmp'),
                        f'serve_soak_{port}.log'), 'w+')
    server = subprocess.Popen(cmd, stderr=log, env=env)
    try:
        deadline = time.time() + 300
        while True:
            if server.poll() is not None:
                log.seek(0)
                print(log.read(), file=sys.stderr)
                raise SystemExit('the server exited before answering')
            try:
                requests.get(f'{url}/api/models', timeout=5)
                break
            except requests.RequestException:
                if time.time() > deadline:
                    raise SystemExit('the server did not start in 300 s')
                time.sleep(0.5)
        log.seek(0)
        limits = re.search(
            r'limits: (\d+) in flight, (\d+) queued, memory budget '
            r'([\d.]+) GB', log.read())
        in_flight, queued, budget_gb = (int(limits[1]), int(limits[2]),
                                        float(limits[3]))
        inputs = {size: make_inputs(*size) for size in args.sizes}
        soak = Soak(url, inputs, args.bad_every, args.max_retry_wait,
                    args.fg_methods)
        # warm-up: builds the model and measures its memory per foreground
        # method (requests 0, 2, 4, ... cycle through the methods)
        for i in range(len(args.fg_methods)):
            data, upload, _ = soak.request(2 * i)
            r = requests.post(
                f'{url}/api/matte', data=data, files=upload, timeout=600)
            if r.status_code != 200:
                raise SystemExit(f'warm-up failed: {r.status_code} {r.text}')
        idle = status_kb(server.pid, 'VmRSS')
        try:  # the peak from here on (Linux: reset VmHWM to VmRSS)
            with open(f'/proc/{server.pid}/clear_refs', 'w') as f:
                f.write('5')
        except OSError:
            print('note: the peak includes start-up and warm-up',
                  file=sys.stderr)
        start = time.time()
        soak.run(args.requests, args.clients)
        wall = time.time() - start
        peak = status_kb(server.pid, 'VmHWM')
        alive = server.poll() is None
        r = requests.get(f'{url}/api/models', timeout=10) if alive else None
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    lat = soak.latencies
    result = dict(
        requests=args.requests,
        clients=args.clients,
        sizes=['x'.join(map(str, s)) for s in args.sizes],
        codes={str(k): v
               for k, v in sorted(soak.codes.items())},
        retries_after_503=soak.retries,
        failures=soak.failures[:10],
        answered=len(lat),
        wall_s=round(wall, 1),
        p50_s=round(percentile(lat, .5), 3) if lat else None,
        p95_s=round(percentile(lat, .95), 3) if lat else None,
        max_s=round(max(lat), 3) if lat else None,
        idle_rss_gb=round(idle / 2**30, 3),
        peak_rss_gb=round(peak / 2**30, 3),
        max_in_flight=in_flight,
        max_queue=queued,
        memory_budget_gb=budget_gb,
        server_alive=alive and r is not None and r.status_code == 200)
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    bad = (soak.failures or not result['server_alive']
           or peak > idle + budget_gb * 2**30
           or any(500 <= int(c) and int(c) != 503 for c in result['codes']))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
