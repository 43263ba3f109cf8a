import { createRandom } from '@ossim/eventlog';
import { niceToWeight, type PolicyFactory, type SchedPolicy, type SchedTask } from '../../src/index.ts';

/**
 * Lottery scheduling (OSTEP ch. 9): each waiting task holds as many tickets as its
 * nice weight; every `quantum` a seeded draw picks the winner.
 */
export function lottery(seed: number, quantum: number): PolicyFactory {
  return (cpu) => {
    const rng = createRandom(seed).fork(`cpu${cpu}`);
    const queue: SchedTask[] = [];
    let used = 0;
    const policy: SchedPolicy = {
      name: 'lottery',
      get nrQueued() {
        return queue.length;
      },
      enqueue: (task) => void queue.push(task),
      dequeue(task) {
        const i = queue.indexOf(task);
        if (i >= 0) queue.splice(i, 1);
        return i >= 0;
      },
      pickNext() {
        const total = queue.reduce((sum, t) => sum + niceToWeight(t.nice), 0);
        if (total === 0) return undefined;
        let ticket = rng.int(0, total - 1);
        const winner = queue.findIndex((t) => {
          ticket -= niceToWeight(t.nice);
          return ticket < 0;
        });
        used = 0;
        return queue.splice(winner, 1)[0];
      },
      tick(_task, ran) {
        used += ran;
        return used >= quantum;
      },
      timeSlice: () => quantum - used,
    };
    return policy;
  };
}
