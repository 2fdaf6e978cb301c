// The test page: the fake Rust side first, then the real app.
import './fake';
import '../src/main';
