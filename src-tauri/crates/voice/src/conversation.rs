//! The conversation as the model sees it: alternating user and assistant messages (turns of
//! the same role merged), starting with a note that the call was answered, holding only what
//! was actually said and played.

use switchboard_providers::anthropic::{Message, Role};

/// The first user turn: the model's answers always follow a user turn.
const ANSWERED: &str = "(The call has been answered. You have greeted the callee.)";

#[derive(Debug, Clone)]
pub(super) struct Conversation {
    messages: Vec<Message>,
}

impl Default for Conversation {
    fn default() -> Self {
        Self { messages: vec![Message::user(ANSWERED)] }
    }
}

impl Conversation {
    pub(super) fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// What the callee said (or pressed).
    pub(super) fn user(&mut self, text: &str) {
        self.push(Message::user(text));
    }

    /// What the agent said and the callee heard.
    pub(super) fn assistant(&mut self, text: &str) {
        if !text.trim().is_empty() {
            self.push(Message::assistant(text));
        }
    }

    /// Messages of a finished turn (text, tool calls and their results), in order.
    pub(super) fn extend(&mut self, messages: impl IntoIterator<Item = Message>) {
        for message in messages {
            self.push(message);
        }
    }

    /// Appends `message`, merged into the last one when they share a role.
    fn push(&mut self, message: Message) {
        match self.messages.last_mut() {
            Some(last) if last.role == message.role => last.content.extend(message.content),
            _ => self.messages.push(message),
        }
    }

    /// Whether the model may be asked for an answer now (the last turn is the callee's).
    pub(super) fn awaits_answer(&self) -> bool {
        self.messages.last().is_some_and(|last| last.role == Role::User)
    }

    /// The agent's texts, for tests and logs.
    #[cfg(test)]
    pub(super) fn texts(&self, role: Role) -> Vec<String> {
        self.messages
            .iter()
            .filter(|message| message.role == role)
            .flat_map(|message| &message.content)
            .filter_map(|block| match block {
                switchboard_providers::anthropic::ContentBlock::Text { text } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use switchboard_providers::anthropic::{Message, Role};

    use super::Conversation;

    #[test]
    fn turns_of_one_role_merge_and_roles_alternate() {
        let mut conversation = Conversation::default();
        conversation.assistant("Hello.");
        conversation.assistant("");
        conversation.user("Hi");
        conversation.user("(pressed 1)");
        conversation.extend([Message::assistant("Thanks."), Message::tool_result("t1", "ok")]);
        let roles: Vec<Role> = conversation.messages().iter().map(|message| message.role).collect();
        assert_eq!(roles, [Role::User, Role::Assistant, Role::User, Role::Assistant, Role::User]);
        assert_eq!(conversation.messages()[2].content.len(), 2);
        assert_eq!(conversation.texts(Role::Assistant), ["Hello.", "Thanks."]);
        assert!(conversation.awaits_answer());
    }
}
