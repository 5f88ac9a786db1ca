// A module of the bundle, loaded with require like on Parse Server.
exports.slug = title => String(title || '').toLowerCase().trim().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
