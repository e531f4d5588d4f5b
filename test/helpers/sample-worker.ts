// A sample normalized worker for sink tests and scripts that need records without Workday.
import type { NormalizedWorker } from '../../src/domain/worker-record';

/** Worker n: an active employee, WID n in hex, with what the example mapping reads. */
export function sampleWorker(
  n: number,
  employment: Partial<NonNullable<NormalizedWorker['employment']>> = {},
  personal: Partial<NonNullable<NormalizedWorker['personal']>> = {},
): NormalizedWorker {
  return {
    wid: n.toString(16).padStart(32, '0'),
    workerId: `W${n}`,
    workerType: 'Employee',
    descriptor: `Worker ${n}`,
    personal: {
      legalName: { formatted: `F${n} L${n}`, first: `F${n}`, last: `L${n}` },
      workEmail: `w${n}@example.com`,
      ...personal,
    },
    employment: {
      businessTitle: 'Analyst',
      active: true,
      hireDate: '2020-01-01',
      terminated: false,
      ...employment,
    },
  };
}
