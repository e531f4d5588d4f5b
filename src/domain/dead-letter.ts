/** A record that failed validation or mapping, kept with its reason and raw XML fragment. */
export interface DeadLetter {
  wid?: string;
  workerId?: string;
  reason: string;
  fragment: string;
}
