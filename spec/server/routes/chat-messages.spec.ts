import * as E from 'fp-ts/Either';
import { decodeUIMessageRequest, pluginInput, toChatMessages } from '../../../src/server/ai-sdk/ui-message-request';

const text = (value: string) => ({ type: 'text', text: value });
const message = (role: string, ...parts: unknown[]) => ({ id: `${role}-${parts.length}`, role, parts });

describe('toChatMessages', () => {
  it('turns a multi-turn useChat conversation into chat messages, text parts only', () => {
    const conversation = toChatMessages([
      message('system', text('Be brief.')),
      message('user', text('Why is the sky blue?'), { type: 'file', url: 'data:,x', mediaType: 'text/plain' }),
      message('assistant', { type: 'step-start' }, { type: 'data-expert', id: 'a', data: { text: 'expert text' } }, text('Scattering.'), { type: 'reasoning', text: 'hmm' }),
      message('user', text('And at'), text('sunset?')),
    ]);
    expect(conversation).toEqual(E.right([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Why is the sky blue?' },
      { role: 'assistant', content: 'Scattering.' },
      { role: 'user', content: 'And at\nsunset?' },
    ]));
    expect(E.isRight(conversation) && pluginInput(conversation.right)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Why is the sky blue?' },
      { role: 'assistant', content: 'Scattering.' },
      { role: 'user', content: 'And at\nsunset?' },
    ]);
  });

  it('leaves out superseded drafts and messages left without text (an aborted answer)', () => {
    const draft = { ...text('A draft'), providerMetadata: { dialoguePipeline: { superseded: true } } };
    expect(toChatMessages([
      message('user', text('One')),
      message('assistant', draft, text('The answer')),
      message('user', text('Two')),
      message('assistant', { type: 'data-plan', id: 'plan', data: {} }),
      message('user', text('Three')),
    ])).toEqual(E.right([
      { role: 'user', content: 'One' }, { role: 'assistant', content: 'The answer' }, { role: 'user', content: 'Two' }, { role: 'user', content: 'Three' },
    ]));
  });

  it('requires the last message to be the user\'s, with text', () => {
    const lastNotUser = ['the last message must be the user\'s, with a text part'];
    expect(toChatMessages([message('user', text('Hi')), message('assistant', text('Hello'))])).toEqual(E.left(lastNotUser));
    expect(toChatMessages([message('user', text('  '))])).toEqual(E.left(lastNotUser));
    expect(toChatMessages([message('user', { type: 'file', url: 'data:,x', mediaType: 'text/plain' })])).toEqual(E.left(lastNotUser));
  });

  it('names every malformed message at once', () => {
    expect(toChatMessages([])).toEqual(E.left(['messages must be a non-empty array of UI messages { id, role, parts }']));
    expect(toChatMessages('hello')).toEqual(E.left(['messages must be a non-empty array of UI messages { id, role, parts }']));
    expect(toChatMessages([
      'hi',
      { role: 'tool', parts: [] },
      { role: 'user', content: 'OpenAI style' },
      message('assistant', { type: 'text', text: 42 }, null),
      message('user', text('Fine')),
    ])).toEqual(E.left([
      'messages[0] must be an object',
      "messages[1].role must be 'system', 'user' or 'assistant'",
      'messages[2].parts must be an array',
      'messages[3].parts[0].text must be a string',
    ]));
  });
});

describe('decodeUIMessageRequest', () => {
  it('answers 400 invalid_request with the problems, or the conversation', () => {
    const refused = decodeUIMessageRequest({ id: 'c', messages: [message('assistant', text('x'))], trigger: 'submit-message' });
    expect(E.isLeft(refused) && refused.left).toEqual(expect.objectContaining({ status: 400, code: 'invalid_request', message: 'the last message must be the user\'s, with a text part' }));
    const notObject = decodeUIMessageRequest([message('user', text('x'))]);
    expect(E.isLeft(notObject) && notObject.left.message).toMatch(/^Request body must be a JSON object/);
    expect(decodeUIMessageRequest({ id: 'c', messages: [message('user', text('Hi'))], trigger: 'regenerate-message', messageId: 'm1' }))
      .toEqual(E.right([{ role: 'user', content: 'Hi' }]));
  });
});
