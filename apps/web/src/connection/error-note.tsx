// A failed call, said where it happened: the message a person can read, announced as an alert.
import { messageOf } from './client-context.tsx';

export function ErrorNote({ error }: { error: unknown }) {
  return (
    <p role="alert" className="error">
      {messageOf(error)}
    </p>
  );
}
