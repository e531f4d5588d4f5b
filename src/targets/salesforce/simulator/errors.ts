/**
 * Salesforce's REST error envelope: a JSON array of {message, errorCode}, with the HTTP status the
 * REST API documents for each code.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }

  body(): unknown[] {
    return [
      { message: this.message, errorCode: this.errorCode, ...(this.fields ? { fields: this.fields } : {}) },
    ];
  }
}

/** A per-record failure inside an sObject Collections answer. */
export interface RecordError {
  statusCode: string;
  message: string;
  fields: string[];
}
