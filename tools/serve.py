"""Serve the interactive matting page (dpt_mm/apis/webapp.py) on a port.

``python tools/serve.py [--model CONFIG CKPT]... [--work-dir DIR]...
[--host 127.0.0.1] [--port 7860] [--device cpu|cuda] [--tile 1024]
[--max-in-flight N] [--max-queue N] [--memory-budget-gb GB]``

The page's model list holds each ``--model`` pair, each training run found
under a ``--work-dir`` (its dumped config and last checkpoint, e.g.
``work_dirs/demo`` after ``make demo``) and, per config name, a random-init
entry for trying the page. Without ``--model`` / ``--work-dir`` it serves
the runs of ``work_dirs/demo`` when that exists and
``configs/vitmatte/vitmatte_vit-tiny_demo.py`` (random init; the network
``make demo`` trains). Exit status 2 for bad arguments.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(ROOT, 'configs', 'vitmatte',
                          'vitmatte_vit-tiny_demo.py')
DEFAULT_WORK_DIR = osp.join(ROOT, 'work_dirs', 'demo')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Serve the interactive matting page')
    parser.add_argument(
        '--model',
        nargs=2,
        action='append',
        default=[],
        metavar=('CONFIG', 'CKPT'),
        help='a config and its checkpoint (CKPT "random" for random init); '
        'repeat for several')
    parser.add_argument(
        '--work-dir',
        action='append',
        default=[],
        help='add the training runs found in this folder (dumped config + '
        'last checkpoint of every sub-folder); repeatable')
    parser.add_argument(
        '--no-random-init',
        action='store_true',
        help='do not add a random-init entry per config')
    parser.add_argument(
        '--host',
        default='127.0.0.1',
        help='address to listen on (default 127.0.0.1; '
        '0.0.0.0 for other machines)')
    parser.add_argument(
        '--port', type=int, default=7860, help='port (default 7860)')
    parser.add_argument(
        '--device',
        default=None,
        help='cpu, cuda or cuda:N (default: cuda if '
        'available)')
    parser.add_argument(
        '--tile',
        type=int,
        default=0,
        help='predict large photos in tiles of at most '
        'TILE x TILE px (default 0 = whole image)')
    parser.add_argument(
        '--max-upload-mb',
        type=float,
        default=50.,
        help='largest accepted upload (default 50)')
    parser.add_argument(
        '--max-megapixels',
        type=float,
        default=40.,
        help='largest accepted photo in megapixels, read from the file '
        'header (default 40)')
    parser.add_argument(
        '--max-in-flight',
        type=int,
        default=None,
        help='requests matted at once (default: one per CPU core, one on '
        'a GPU)')
    parser.add_argument(
        '--max-queue',
        type=int,
        default=None,
        help='requests waiting for a slot; more are answered 503 at once '
        '(default: twice --max-in-flight)')
    parser.add_argument(
        '--memory-budget-gb',
        type=float,
        default=None,
        help='memory the requests in flight may use together, estimated as '
        'photo pixels x the model\'s measured bytes per pixel (default: '
        '3/4 of the memory available at start)')
    parser.add_argument(
        '--bytes-per-pixel',
        type=float,
        default=None,
        help='memory per photo pixel of every model instead of measuring '
        'it on first use')
    parser.add_argument(
        '--queue-timeout',
        type=float,
        default=300.,
        help='longest wait for a slot in seconds, then 503 (default 300)')
    args = parser.parse_args(argv)
    for name in ('max_in_flight', 'memory_budget_gb', 'bytes_per_pixel',
                 'queue_timeout', 'max_upload_mb', 'max_megapixels'):
        value = getattr(args, name)
        if value is not None and value <= 0:
            parser.error(f'--{name.replace("_", "-")} must be > 0, '
                         f'got {value}')
    if args.max_queue is not None and args.max_queue < 0:
        parser.error(f'--max-queue must be >= 0, got {args.max_queue}')
    if args.tile < 0:
        parser.error(f'--tile must be >= 0, got {args.tile}')
    if not 0 < args.port < 65536:
        parser.error(f'--port must be in 1..65535, got {args.port}')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Run the server until interrupted; return the exit status."""
    args = parse_args(argv)
    from dpt_mm.apis.admission import default_in_flight
    from dpt_mm.apis.webapp import (MattingService, build_choices, create_app,
                                    discover_work_dir)
    pairs = [(cfg, None if ckpt == 'random' else ckpt)
             for cfg, ckpt in args.model]
    work_dirs = list(args.work_dir)
    default = not pairs and not work_dirs
    if default and osp.isdir(DEFAULT_WORK_DIR):
        work_dirs.append(DEFAULT_WORK_DIR)
    try:
        for work_dir in work_dirs:
            found = discover_work_dir(work_dir)
            if not found:
                print(
                    f'warning: {work_dir}: no config + checkpoint found',
                    file=sys.stderr)
            pairs += found
        if default:  # after the trained runs: the repository's config
            pairs.append((DEFAULT_CONFIG, None))
        choices = build_choices(pairs, not args.no_random_init)
        service = MattingService(
            choices,
            args.device,
            args.tile,
            max_upload_mb=args.max_upload_mb,
            max_megapixels=args.max_megapixels,
            max_in_flight=args.max_in_flight,
            max_queue=args.max_queue,
            memory_budget_gb=args.memory_budget_gb,
            bytes_per_pixel=args.bytes_per_pixel,
            queue_timeout=args.queue_timeout)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    import torch
    if not (args.device or '').startswith('cuda') \
            and not (args.device is None and torch.cuda.is_available()):
        # the cores shared by the requests in flight (one each by default)
        cores = default_in_flight('cpu')
        torch.set_num_threads(
            max(1, cores // service.admission.max_in_flight))
    import uvicorn
    for choice in choices:
        print(f'model {choice.key}: {choice.name}', file=sys.stderr)
    adm = service.admission
    print(
        f'limits: {adm.max_in_flight} in flight, {adm.max_queue} queued, '
        f'memory budget {adm.memory_budget / 2**30:.1f} GB',
        file=sys.stderr)
    print(
        f'open http://{args.host}:{args.port}/ in a browser', file=sys.stderr)
    uvicorn.run(
        create_app(service),
        host=args.host,
        port=args.port,
        log_level='warning')
    return 0


if __name__ == '__main__':
    sys.exit(main())
