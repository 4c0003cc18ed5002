// Where a message is written: text, images by file picker or paste, Send.
import { type ClipboardEvent, type FormEvent, useState } from 'react';

export interface Attachment {
  name: string;
  base64: string;
  mimeType: string;
}

function readImage(file: File): Promise<Attachment> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve({
        name: file.name || 'pasted image',
        base64: url.slice(url.indexOf(',') + 1),
        mimeType: file.type,
      });
    };
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export function Composer(props: {
  disabled: boolean;
  onSend: (message: { text: string; images: Attachment[] }) => void;
}) {
  const [text, setText] = useState('');
  const [images, setImages] = useState<Attachment[]>([]);
  const addFiles = async (files: Iterable<File>) => {
    const picked = [...files].filter((f) => f.type.startsWith('image/'));
    const read = await Promise.all(picked.map(readImage));
    setImages((current) => [...current, ...read]);
  };
  const paste = (event: ClipboardEvent) => {
    const files = [...event.clipboardData.files];
    if (files.some((f) => f.type.startsWith('image/'))) {
      event.preventDefault();
      void addFiles(files);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim() || props.disabled) return;
    props.onSend({ text: text.trim(), images });
    setText('');
    setImages([]);
  };
  return (
    <form className="composer" onSubmit={submit}>
      <label className="sr-only" htmlFor="message">
        Message
      </label>
      <textarea
        id="message"
        rows={3}
        placeholder="Write a message (paste an image to attach it)"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onPaste={paste}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) submit(e);
        }}
      />
      {images.length > 0 && (
        <ul className="attachments" aria-label="Attached images">
          {images.map((image, index) => (
            <li key={`${image.name}-${index}`}>
              {image.name}
              <button
                type="button"
                className="link"
                onClick={() => setImages(images.filter((_, i) => i !== index))}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="row">
        <label className="file-pick">
          Attach image
          <input
            type="file"
            accept="image/*"
            multiple
            onChange={(e) => {
              if (e.target.files) void addFiles(e.target.files);
              e.target.value = '';
            }}
          />
        </label>
        <button type="submit" disabled={props.disabled || !text.trim()}>
          Send
        </button>
      </div>
    </form>
  );
}
