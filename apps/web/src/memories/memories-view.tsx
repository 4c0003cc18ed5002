// The user's memories: what agents remember across sessions. Edit, delete, add.
import type { Memory } from '@agentrpc/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useClient } from '../connection/client-context.tsx';
import { ErrorNote } from '../connection/error-note.tsx';

export function MemoriesView() {
  const client = useClient();
  const queries = useQueryClient();
  const memories = useQuery({ queryKey: ['memories'], queryFn: () => client.memories.list({}) });
  const [text, setText] = useState('');
  const create = useMutation({
    mutationFn: (memory: string) => client.memories.create({ memory }),
    onSuccess: () => {
      setText('');
      void queries.invalidateQueries({ queryKey: ['memories'] });
    },
  });
  const add = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) create.mutate(text.trim());
  };
  return (
    <main className="details">
      <h1>Memories</h1>
      <p className="muted">What agents remember about you across sessions.</p>
      {memories.isError && <ErrorNote error={memories.error} />}
      <ul className="memories">
        {memories.data?.map((memory) => (
          <MemoryItem key={memory.memoryId} memory={memory} />
        ))}
      </ul>
      {memories.data?.length === 0 && <p className="muted">No memories yet.</p>}
      <form onSubmit={add} className="row">
        <label htmlFor="new-memory">New memory</label>
        <input id="new-memory" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" disabled={!text.trim()}>
          Add
        </button>
      </form>
    </main>
  );
}

function MemoryItem({ memory }: { memory: Memory }) {
  const client = useClient();
  const queries = useQueryClient();
  const [text, setText] = useState(memory.memory);
  const [confirming, setConfirming] = useState(false);
  const refresh = () => queries.invalidateQueries({ queryKey: ['memories'] });
  const save = useMutation({
    mutationFn: () => client.memories.update({ memoryId: memory.memoryId, memory: text }),
    onSuccess: () => void refresh(),
  });
  const remove = useMutation({
    mutationFn: () => client.memories.delete({ memoryId: memory.memoryId }),
    onSuccess: () => void refresh(),
  });
  const fieldId = `memory-${memory.memoryId}`;
  return (
    <li>
      <label htmlFor={fieldId} className="sr-only">
        Memory
      </label>
      <textarea id={fieldId} rows={2} value={text} onChange={(e) => setText(e.target.value)} />
      {memory.topics.length > 0 && <p className="muted">{memory.topics.join(', ')}</p>}
      <div className="row">
        <button
          type="button"
          disabled={text === memory.memory || !text.trim()}
          onClick={() => save.mutate()}
        >
          Save
        </button>
        {confirming ? (
          <>
            <button type="button" className="danger" onClick={() => remove.mutate()}>
              Delete this memory
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" className="secondary" onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
        {save.isSuccess && text === memory.memory && <span className="muted">Saved</span>}
      </div>
      {(save.isError || remove.isError) && <ErrorNote error={save.error ?? remove.error} />}
    </li>
  );
}
