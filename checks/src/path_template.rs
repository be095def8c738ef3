//! The `path` parameter: a key template with `${...}` variables, as Transloadit expands it.

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Literal(&'a str),
    Variable(&'a str),
}

/// Why a template cannot be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("`${{` at character {0} is never closed with `}}`")]
    Unclosed(usize),
    #[error("empty variable `${{}}` at character {0}")]
    EmptyVariable(usize),
}

/// Splits a template into literals and variables.
pub fn parse(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            pieces.push(Piece::Literal(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or(TemplateError::Unclosed(offset + start + 1))?;
        let name = after[..end].trim();
        if name.is_empty() {
            return Err(TemplateError::EmptyVariable(offset + start + 1));
        }
        pieces.push(Piece::Variable(name));
        let consumed = start + 2 + end + 1;
        offset += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest));
    }
    Ok(pieces)
}

/// The fixed text before the first variable: every key the template produces starts with it.
pub fn fixed_prefix(template: &str) -> &str {
    match template.find("${") {
        Some(i) => &template[..i],
        None => template,
    }
}

/// The file name used for previews: spaces and punctuation show what sanitising does.
pub const SAMPLE_FILE_NAME: &str = "Summer holiday (1).jpg";

/// `${file.url_name}`: non-alphanumeric characters become `_`, spaces become `-`; the
/// extension's dot is kept.
pub fn url_name(file_name: &str) -> String {
    let (base, ext) = match file_name.rsplit_once('.') {
        Some((base, ext)) if !base.is_empty() => (base, Some(ext)),
        _ => (file_name, None),
    };
    let sanitise = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                c if c.is_ascii_alphanumeric() => c,
                ' ' => '-',
                _ => '_',
            })
            .collect()
    };
    match ext {
        Some(ext) => format!("{}.{}", sanitise(base), sanitise(ext)),
        None => sanitise(base),
    }
}

/// The value a variable takes in previews. Unknown variables render as their own name, so the
/// preview still shows where they land.
fn sample_value(variable: &str) -> String {
    let (base, ext) = SAMPLE_FILE_NAME
        .rsplit_once('.')
        .expect("sample has an extension");
    match variable {
        "unique_prefix" | "unique_original_prefix" => "f2/d3eeeb67479f11f8b091b04f6181ad".into(),
        "file.url_name" | "file.original_url_name" => url_name(SAMPLE_FILE_NAME),
        "file.name" | "file.original_name" => SAMPLE_FILE_NAME.into(),
        "file.basename" | "file.original_basename" => base.into(),
        "file.url_basename" => url_name(base),
        "file.ext" => ext.into(),
        "file.id" | "assembly.id" | "unique_id" => "a1b2c3d4e5f60718293a4b5c6d7e8f90".into(),
        "previous_step.name" => ":original".into(),
        other => other.to_owned(),
    }
}

/// Expands the template for the sample file. Unparseable templates expand to `None`.
pub fn render_sample(template: &str) -> Option<String> {
    let pieces = parse(template).ok()?;
    Some(
        pieces
            .into_iter()
            .map(|piece| match piece {
                Piece::Literal(text) => text.to_owned(),
                Piece::Variable(name) => sample_value(name),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_literals_and_variables() {
        assert_eq!(
            parse("a/${x}/b${ y }").unwrap(),
            vec![
                Piece::Literal("a/"),
                Piece::Variable("x"),
                Piece::Literal("/b"),
                Piece::Variable("y")
            ]
        );
        assert_eq!(parse("plain").unwrap(), vec![Piece::Literal("plain")]);
    }

    #[test]
    fn reports_unclosed_and_empty_variables() {
        assert_eq!(parse("a/${file.name"), Err(TemplateError::Unclosed(3)));
        assert_eq!(parse("${x}/${"), Err(TemplateError::Unclosed(6)));
        assert_eq!(parse("a${}"), Err(TemplateError::EmptyVariable(2)));
    }

    #[test]
    fn sanitises_url_names() {
        assert_eq!(url_name("Summer holiday (1).jpg"), "Summer-holiday-_1_.jpg");
        assert_eq!(url_name("résumé.pdf"), "r_sum_.pdf");
        assert_eq!(url_name(".hidden"), "_hidden");
        assert_eq!(url_name("noext"), "noext");
    }

    #[test]
    fn renders_the_default_path() {
        assert_eq!(
            render_sample(crate::target::DEFAULT_PATH).unwrap(),
            "f2/d3eeeb67479f11f8b091b04f6181ad/Summer-holiday-_1_.jpg"
        );
        assert_eq!(
            render_sample("x/${fields.customer}.txt").unwrap(),
            "x/fields.customer.txt"
        );
        assert_eq!(render_sample("x/${oops"), None);
    }
}
