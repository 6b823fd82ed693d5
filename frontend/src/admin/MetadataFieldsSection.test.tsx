import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { envelope, errorEnvelope, mockFetch, requestsTo } from '../test/utils';
import { ADMIN, jsonBody, renderAdmin } from './testSupport';

const STYLE = {
  id: 'f1',
  name: 'Style',
  slug: 'style',
  type: 'enum',
  isFilterable: true,
  isBrowsable: true,
  config: { enumOptions: ['Anime', 'Photo'] },
  sortOrder: 1,
};
const CODE = {
  id: 'f2',
  name: 'Trigger code',
  slug: 'trigger-code',
  type: 'text',
  isFilterable: false,
  isBrowsable: false,
  config: { validationPattern: '[a-z]+' },
  sortOrder: 2,
};

function setup(extra: Record<string, unknown> = {}) {
  let fields: unknown[] = [STYLE, CODE];
  const fetchMock = mockFetch({
    'GET /api/auth/me': ADMIN,
    'GET /api/metadata/fields': () => envelope(fields),
    'DELETE /api/metadata/fields/f2': () => {
      fields = [STYLE];
      return new Response(null, { status: 204 });
    },
    ...extra,
  });
  renderAdmin('metadata');
  return fetchMock;
}

describe('MetadataFieldsSection', () => {
  it('lists the fields with their type and options', async () => {
    setup();
    const list = await screen.findByRole('list', { name: 'Metadata fields' });
    const style = within(list).getByRole('listitem', { name: 'Style' });
    expect(within(style).getByText('Choice (one option)')).toBeInTheDocument();
    expect(within(style).getByText(/options: Anime, Photo/)).toBeInTheDocument();
    expect(within(style).getByText('Browsable')).toBeInTheDocument();
    expect(within(list).getByRole('listitem', { name: 'Trigger code' })).toHaveTextContent('[a-z]+');
  });

  it('creates a multi-choice field with its options, and a text field with a pattern', async () => {
    const fetchMock = setup({
      'POST /api/metadata/fields': async (request: Request) => {
        const body = (await jsonBody(request)) as { name: string; type: string };
        return envelope({ ...STYLE, ...body, id: 'f3', slug: body.name.toLowerCase() }, null, 201);
      },
    });
    const form = await screen.findByRole('form', { name: 'New field' });
    await userEvent.type(within(form).getByLabelText('Field name'), 'Tags');
    await userEvent.selectOptions(within(form).getByLabelText('Field type'), 'multi_enum');
    expect(within(form).queryByLabelText('Validation pattern (optional)')).not.toBeInTheDocument();
    await userEvent.type(within(form).getByLabelText('Options (one per line)'), 'Portrait\n\n Landscape \n');
    await userEvent.type(within(form).getByLabelText('Display hint (optional)'), 'scene');
    await userEvent.click(within(form).getByRole('checkbox', { name: 'Browsable' }));
    await userEvent.click(within(form).getByRole('button', { name: 'Create field' }));

    await waitFor(() => expect(requestsTo(fetchMock, 'POST', '/api/metadata/fields')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/metadata/fields')[0])).toEqual({
      name: 'Tags',
      type: 'multi_enum',
      isFilterable: true,
      isBrowsable: true,
      config: { enumOptions: ['Portrait', 'Landscape'], displayHint: 'scene' },
      sortOrder: 0,
    });
    expect(await screen.findByText('Field Tags created (slug tags)')).toBeInTheDocument();
    // The form starts over for the next field.
    const fresh = screen.getByRole('form', { name: 'New field' });
    expect(within(fresh).getByLabelText('Field name')).toHaveValue('');

    await userEvent.type(within(fresh).getByLabelText('Field name'), 'Code');
    // In user-event's syntax "[[" and "{{" each type one bracket.
    await userEvent.type(within(fresh).getByLabelText('Validation pattern (optional)'), '[[0-9]{{4}');
    await userEvent.click(within(fresh).getByRole('button', { name: 'Create field' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'POST', '/api/metadata/fields')).toHaveLength(2));
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/metadata/fields')[1])).toMatchObject({
      type: 'text',
      config: { validationPattern: '[0-9]{4}' },
    });
  });

  it('asks for options before creating a choice field', async () => {
    const fetchMock = setup();
    const form = await screen.findByRole('form', { name: 'New field' });
    await userEvent.type(within(form).getByLabelText('Field name'), 'Style 2');
    await userEvent.selectOptions(within(form).getByLabelText('Field type'), 'enum');
    await userEvent.type(within(form).getByLabelText('Options (one per line)'), '   ');
    await userEvent.click(within(form).getByRole('button', { name: 'Create field' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent(/need 1 to 200 options/);
    expect(requestsTo(fetchMock, 'POST', '/api/metadata/fields')).toHaveLength(0);
  });

  it('edits a field without sending its fixed type, and shows server errors', async () => {
    let attempts = 0;
    const fetchMock = setup({
      'PATCH /api/metadata/fields/f1': () => {
        attempts += 1;
        return attempts === 1
          ? errorEnvelope(400, 'VALIDATION_ERROR', 'Options must contain at least one letter or digit', 'config.enumOptions.2')
          : envelope({ ...STYLE, config: { enumOptions: ['Anime', 'Photo', 'Painting'] } });
      },
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Edit field Style' }));
    const form = screen.getByRole('form', { name: 'Edit Style' });
    expect(within(form).getByLabelText('Field type')).toBeDisabled();
    await userEvent.type(within(form).getByLabelText('Options (one per line)'), '\nPainting');
    await userEvent.click(within(form).getByRole('button', { name: 'Save field' }));
    expect(await screen.findByText('Options must contain at least one letter or digit')).toBeInTheDocument();
    await userEvent.click(within(form).getByRole('button', { name: 'Save field' }));
    expect(await screen.findByText('Field Style saved')).toBeInTheDocument();

    const body = await jsonBody(requestsTo(fetchMock, 'PATCH', '/api/metadata/fields/f1')[1]);
    expect(body).toEqual({
      name: 'Style',
      isFilterable: true,
      isBrowsable: true,
      config: { enumOptions: ['Anime', 'Photo', 'Painting'] },
      sortOrder: 1,
    });
    await waitFor(() => expect(screen.queryByRole('form', { name: 'Edit Style' })).not.toBeInTheDocument());
  });

  it('deletes a field only after confirming', async () => {
    const fetchMock = setup();
    await userEvent.click(await screen.findByRole('button', { name: 'Delete field Trigger code' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete field Trigger code' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(requestsTo(fetchMock, 'DELETE', '/api/metadata/fields/f2')).toHaveLength(0);

    await userEvent.click(screen.getByRole('button', { name: 'Delete field Trigger code' }));
    await userEvent.click(
      within(screen.getByRole('dialog', { name: 'Delete field Trigger code' })).getByRole('button', { name: 'Delete field' }),
    );
    expect(await screen.findByText('Field deleted')).toBeInTheDocument();
    expect(requestsTo(fetchMock, 'DELETE', '/api/metadata/fields/f2')).toHaveLength(1);
    await waitFor(() => expect(screen.queryByRole('listitem', { name: 'Trigger code' })).not.toBeInTheDocument());
  });
});
