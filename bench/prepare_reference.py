"""The FSFM reference's face extraction, as a peer measurement for bench/prepare.ts (bench only: no Python in the
product). Follows the reference's preprocessing (datasets/pretrain/preprocess/tools/util.py of wolo-wolo/FSFM-CVPR25):
OpenCV reads the container's frame count (CAP_PROP_FRAME_COUNT), indices np.linspace(0, T-1, N, dtype=int), one
seek + read per index (a failed read skips the frame), a multiprocessing pool of cpu_count() workers per video;
each worker converts BGR->RGB, runs dlib's HOG detector with upsample 1, keeps faces[0], cuts the FF++ box
(1.3x, square, clipped) and writes it as PNG; the reference's parsing step then resizes it to 224 with PIL's
BICUBIC and saves that. Added so the outputs compare with the project's: the 68 dlib landmarks of the detection
(the project stores them). The neural face parser is left out (the project derives maps from landmarks).

  python bench/prepare_reference.py --out DIR [--frames 32] [--processes N] VIDEO...

Prints one JSON object: faces, wall seconds, CPU seconds (self + children, model loading excluded), per-phase seconds
(summed over workers),
and writes DIR/faces.jsonl (video, frame, box, score, crop, landmarks, sha256 of the 224 px RGB bytes).
"""
import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import sys
import time

import cv2
import dlib
import numpy as np
from PIL import Image

detector = dlib.get_frontal_face_detector()
predictor = dlib.shape_predictor('/usr/share/dlib/shape_predictor_68_face_landmarks.dat')


def crop_square(left, top, right, bottom, width, height, scale=1.3):
    size = int(max(right - left, bottom - top) * scale)
    cx, cy = (left + right) // 2, (top + bottom) // 2
    x = max(int(cx - size // 2), 0)
    y = max(int(cy - size // 2), 0)
    size = min(width - x, size)
    size = min(height - y, size)
    return x, y, size


def extract(frame, out_dir, name):
    t = {}
    t0 = time.perf_counter()
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    t1 = time.perf_counter()
    faces, scores, _ = detector.run(rgb, 1, 0)
    t2 = time.perf_counter()
    t['convert'] = t1 - t0
    t['detect'] = t2 - t1
    if len(faces) == 0:
        return None, t
    face = faces[0]
    x, y, size = crop_square(face.left(), face.top(), face.right(), face.bottom(), frame.shape[1], frame.shape[0])
    shape = predictor(rgb, face)
    landmarks = [[shape.part(i).x, shape.part(i).y] for i in range(68)]
    t3 = time.perf_counter()
    cropped = rgb[y:y + size, x:x + size]
    cv2.imwrite(os.path.join(out_dir, name + '.png'), cv2.cvtColor(cropped, cv2.COLOR_RGB2BGR))
    t4 = time.perf_counter()
    resized = Image.fromarray(cropped).resize((224, 224), Image.BICUBIC)
    t5 = time.perf_counter()
    resized.save(os.path.join(out_dir, name + '_224.png'))
    t6 = time.perf_counter()
    t.update(landmarks=t3 - t2, crop_png=t4 - t3, resize=t5 - t4, face_png=t6 - t5)
    record = {
        'box': {'left': face.left(), 'top': face.top(), 'right': face.right(), 'bottom': face.bottom(), 'score': scores[0]},
        'faceCount': len(faces),
        'crop': {'x': x, 'y': y, 'sizePx': size},
        'landmarks': landmarks,
        'sha256': hashlib.sha256(np.asarray(resized).tobytes()).hexdigest(),
    }
    return record, t


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', required=True)
    parser.add_argument('--frames', type=int, default=32)
    parser.add_argument('--processes', type=int, default=multiprocessing.cpu_count())
    parser.add_argument('videos', nargs='+')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    phases = {}
    lines = []
    # Model loading (imports, the predictor) is left out, as bench/prepare.ts leaves out its own.
    start = resource.getrusage(resource.RUSAGE_SELF)
    start_cpu = start.ru_utime + start.ru_stime
    wall0 = time.perf_counter()
    for video in args.videos:
        stem = os.path.splitext(os.path.basename(video))[0]
        t0 = time.perf_counter()
        capture = cv2.VideoCapture(video)
        total = capture.get(7)
        indices = np.linspace(0, total - 1, num=args.frames, dtype=int).tolist()
        pool = multiprocessing.Pool(processes=args.processes)
        pending = []
        decode = 0.0
        for index in indices:
            d0 = time.perf_counter()
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, frame = capture.read()
            decode += time.perf_counter() - d0
            if not ok:
                continue
            pending.append((index, pool.apply_async(extract, (frame, args.out, f'{stem}_frame_{index}'))))
        for index, result in pending:
            record, t = result.get()
            for k, v in t.items():
                phases[k] = phases.get(k, 0.0) + v
            if record is not None:
                lines.append({'video': video, 'frameIndex': index, **record})
        pool.close()
        pool.join()
        capture.release()
        phases['decode'] = phases.get('decode', 0.0) + decode
    wall = time.perf_counter() - wall0
    with open(os.path.join(args.out, 'faces.jsonl'), 'w') as f:
        for line in lines:
            f.write(json.dumps(line) + '\n')
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime - start_cpu
    json.dump({'faces': len(lines), 'wallS': wall, 'cpuS': cpu, 'phasesS': phases, 'processes': args.processes,
               'dlib': dlib.__version__, 'opencv': cv2.__version__}, sys.stdout)
    print()


if __name__ == '__main__':
    main()
