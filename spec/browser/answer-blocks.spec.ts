import { answerBlocks } from '../../src/server/demo/browser/answer-blocks';

describe('answerBlocks', () => {
  it('turns the sections fusion\'s heading lines into headings and the text between into blocks', () => {
    expect(answerBlocks('### alpha\n\nSky is blue.\nReally.\n\n### beta\n\nAir scatters light.', true)).toEqual([
      { kind: 'heading', level: 3, text: 'alpha' },
      { kind: 'text', text: 'Sky is blue.\nReally.' },
      { kind: 'heading', level: 3, text: 'beta' },
      { kind: 'text', text: 'Air scatters light.' },
    ]);
  });

  it('keeps heading text as the characters it is, and takes only # to ###### followed by a space', () => {
    expect(answerBlocks('## <img src=x onerror=alert(1)>  \n#hashtag\n####### seven\n# \nplain', true)).toEqual([
      { kind: 'heading', level: 2, text: '<img src=x onerror=alert(1)>' },
      { kind: 'text', text: '#hashtag\n####### seven\n# \nplain' },
    ]);
  });

  it('holds back a last line of only #s while the answer streams, and shows it once final', () => {
    expect(answerBlocks('Intro.\n\n##', false)).toEqual([{ kind: 'text', text: 'Intro.' }]);
    expect(answerBlocks('Intro.\n\n## Ne', false)).toEqual([{ kind: 'text', text: 'Intro.' }, { kind: 'heading', level: 2, text: 'Ne' }]);
    expect(answerBlocks('Intro.\n\n##', true)).toEqual([{ kind: 'text', text: 'Intro.\n\n##' }]);
  });

  it('has no blocks for an empty answer', () => {
    expect(answerBlocks('', false)).toEqual([]);
    expect(answerBlocks('\n\n', true)).toEqual([]);
  });
});
