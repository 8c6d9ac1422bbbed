//! Entry point of the browser app (built by Trunk).

fn main() {
    chronoscope_web::start();
}
