/** A record that failed validation or mapping, kept with its reason and raw XML fragment. */
export interface DeadLetter {
  wid?: string;
  workerId?: string;
  reason: string;
  fragment: string;
}

/** A record a target (a sink) refused: its own error code and message. The record stays in staging. */
export interface SinkDeadLetter {
  wid: string;
  workerId?: string;
  code: string;
  message: string;
}
